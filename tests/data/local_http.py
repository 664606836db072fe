"""A folder served over HTTP on 127.0.0.1, the datasets' mirrors in the data tests."""

import contextlib
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass  # keep pytest output clean


@contextlib.contextmanager
def serving(root: Path, handler: type = QuietHandler) -> Iterator[str]:
    """The base URL of an HTTP server on 127.0.0.1 serving ``root`` with ``handler``, for
    as long as the block runs."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
