"""download_file against a local HTTP server: good, corrupt, truncated, slow and dead mirrors."""

import hashlib
import http.server
import os
import shutil
import time
from pathlib import Path

import pytest
from tests.data.local_http import serving

from ganforge.data.datasets import DATASETS
from ganforge.data.download import RemoteFile, download_file
from ganforge.data.idx import read_idx
from ganforge.errors import DownloadError

TIMEOUT = 2.0


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; under /halfway/ it promises the whole file but sends half of it,
    and under /slow/ it sends nothing until the client has given up."""

    def do_GET(self):
        if self.path.startswith("/halfway/"):
            data = (Path(self.directory) / self.path.removeprefix("/halfway/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        if self.path.startswith("/slow/"):
            time.sleep(TIMEOUT * 2)
            return
        super().do_GET()

    def log_message(self, *args):
        pass  # keep pytest output clean


@pytest.fixture
def served(tmp_path):
    """(directory the server serves, base URL of the server)."""
    root = tmp_path / "served"
    root.mkdir()
    with serving(root, _Handler) as url:
        yield root, url


@pytest.fixture
def closed_port_url(dead_url):
    return dead_url


def _publish(root: Path, name: str, data: bytes) -> RemoteFile:
    (root / name).write_bytes(data)
    return RemoteFile(name, hashlib.md5(data).hexdigest(), len(data))


def _leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir()) if dest.exists() else []


def test_good_file_is_downloaded_and_verified(served, tmp_path):
    root, url = served
    remote = _publish(root, "blob.bin", os.urandom(300_000))  # several chunks
    calls = []
    dest = tmp_path / "dest"
    path = download_file(
        remote,
        [url],
        dest,
        timeout=TIMEOUT,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert path == dest / "blob.bin"
    assert path.read_bytes() == (root / "blob.bin").read_bytes()
    assert _leftovers(dest) == ["blob.bin"]
    assert calls[0] == (0, remote.size) and calls[-1] == (remote.size, remote.size)


def test_a_downloaded_file_has_the_mode_the_umask_gives(served, tmp_path, umask):
    root, url = served
    remote = _publish(root, "blob.bin", os.urandom(1000))
    download_file(remote, [url], tmp_path / "dest", timeout=TIMEOUT)
    assert umask(tmp_path / "dest") == {}  # was always 0644 (after mkstemp's 0600)


def test_verified_existing_file_is_not_downloaded_again(tmp_path, closed_port_url):
    dest = tmp_path / "dest"
    dest.mkdir()
    remote = _publish(dest, "blob.bin", b"already here")
    assert download_file(remote, [closed_port_url], dest, timeout=TIMEOUT) == dest / "blob.bin"


def test_bad_existing_file_is_replaced(served, tmp_path):
    root, url = served
    remote = _publish(root, "blob.bin", b"the real bytes")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "blob.bin").write_bytes(b"stale bytes!!!")  # same size, wrong md5
    download_file(remote, [url], dest, timeout=TIMEOUT)
    assert (dest / "blob.bin").read_bytes() == b"the real bytes"


def test_checksum_mismatch_leaves_no_file(served, tmp_path):
    root, url = served
    remote = _publish(root, "blob.bin", b"some bytes")
    wrong = RemoteFile(remote.name, "0" * 32, remote.size)
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="md5") as info:
        download_file(wrong, [url], dest, timeout=TIMEOUT)
    assert url in str(info.value)
    assert _leftovers(dest) == []


@pytest.mark.mnist
def test_published_checksum_rejects_the_shared_t10k_copy(served, tmp_path, mnist_dir):
    # The shared t10k files have the published size but not the published md5.
    root, url = served
    published = DATASETS["mnist"].files["test"][0]
    shutil.copy(mnist_dir / published.name, root / published.name)
    assert (root / published.name).stat().st_size == published.size
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="md5"):
        download_file(published, [url], dest, timeout=TIMEOUT)
    assert _leftovers(dest) == []
    # The same bytes, described by their own checksum, download and parse.
    data = (root / published.name).read_bytes()
    own = RemoteFile(published.name, hashlib.md5(data).hexdigest(), len(data))
    assert read_idx(download_file(own, [url], dest, timeout=TIMEOUT)).shape == (10000, 28, 28)
    assert _leftovers(dest) == [published.name]


def test_truncated_body_is_rejected(served, tmp_path):
    root, url = served
    remote = _publish(root, "blob.bin", os.urandom(200_000))
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="100000 bytes"):
        download_file(remote, [url + "halfway/"], dest, timeout=TIMEOUT)
    assert _leftovers(dest) == []


def test_short_and_long_files_are_rejected(served, tmp_path):
    root, url = served
    remote = _publish(root, "blob.bin", b"0123456789")
    dest = tmp_path / "dest"
    for declared in (remote.size - 1, remote.size + 1):
        with pytest.raises(DownloadError, match="bytes"):
            download_file(
                RemoteFile(remote.name, remote.md5, declared), [url], dest, timeout=TIMEOUT
            )
    assert _leftovers(dest) == []


def test_http_error_and_timeout_are_reported(served, tmp_path):
    root, url = served
    remote = _publish(root, "blob.bin", b"x")
    missing = RemoteFile("absent.bin", remote.md5, remote.size)
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(missing, [url], tmp_path, timeout=TIMEOUT)
    with pytest.raises(DownloadError, match="timed out"):
        download_file(remote, [url + "slow/"], tmp_path / "dest", timeout=TIMEOUT / 4)


def test_first_mirror_down_second_serves(served, tmp_path, closed_port_url):
    root, url = served
    remote = _publish(root, "blob.bin", b"payload")
    path = download_file(remote, [closed_port_url, url], tmp_path / "dest", timeout=TIMEOUT)
    assert path.read_bytes() == b"payload"


def test_all_mirrors_down_names_each(served, tmp_path, closed_port_url):
    root, url = served
    remote = _publish(root, "blob.bin", b"payload")
    mirrors = [closed_port_url, url + "halfway/", url + "nowhere/"]
    with pytest.raises(DownloadError) as info:
        download_file(
            remote, mirrors, tmp_path / "dest", timeout=TIMEOUT, manual_hint="put it there by hand"
        )
    message = str(info.value)
    assert all(m + "blob.bin" in message for m in mirrors)
    assert "put it there by hand" in message and "\n" not in message
    assert _leftovers(tmp_path / "dest") == []
