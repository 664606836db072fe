"""Download a published file from a list of mirrors, verified by size and md5.

A file only ever appears under its final name after its size and checksum matched, so a
crash, a dropped connection or a bad mirror can never leave a file that looks complete.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ganforge import __version__
from ganforge.errors import DownloadError

__all__ = ["RemoteFile", "download_file", "file_md5", "verify_file"]

_CHUNK = 1 << 16
_USER_AGENT = f"ganforge/{__version__} (+https://pypi.org/project/ganforge/)"


@dataclass(frozen=True)
class RemoteFile:
    """A published file: its name on the mirrors, its md5 hex digest and its size in bytes."""

    name: str
    md5: str
    size: int


class _Rejected(Exception):
    """A mirror answered, but with bytes that are not the published file."""


def file_md5(path: Path) -> str:
    """Return the md5 hex digest of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK * 16):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, remote: RemoteFile) -> bool:
    """Whether ``path`` is a regular file with the published size and md5."""
    try:
        return path.stat().st_size == remote.size and file_md5(path) == remote.md5
    except OSError:
        return False


def download_file(
    remote: RemoteFile,
    mirrors: Sequence[str],
    dest_dir: Path,
    timeout: float = 30.0,
    progress: Callable[[int, int], None] | None = None,
    manual_hint: str | None = None,
) -> Path:
    """Fetch ``remote`` into ``dest_dir`` from the first mirror that delivers it intact.

    Each mirror is a base URL; the file's URL is the base plus its name. Bytes stream into
    ``dest_dir/<name>.<random>.part``, renamed atomically to ``dest_dir/<name>`` only once
    its size and md5 match. A file already there that verifies is returned at once.
    ``progress`` is called with (bytes so far, total bytes). ``manual_hint`` ends the error
    message and tells the user how to provide the file by hand.

    Raises :class:`DownloadError` naming every mirror and why it failed.
    """
    dest_dir = Path(dest_dir)
    final = dest_dir / remote.name
    if verify_file(final, remote):
        return final
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + remote.name
        part = _new_part_file(dest_dir, remote.name)
        try:
            _fetch(url, part, remote, timeout, progress)
            os.replace(part, final)
            return final
        except (OSError, http.client.HTTPException, ValueError, _Rejected) as exc:
            failures.append(f"{url} ({_reason(exc, timeout)})")
        finally:
            # Also on Ctrl-C; after a successful rename there is nothing left to remove.
            part.unlink(missing_ok=True)
    tried = "; ".join(failures) if failures else "no mirrors configured"
    hint = manual_hint or (
        f"download it by hand, check that its md5 is {remote.md5}, and put it at {final}"
    )
    raise DownloadError(
        f"could not download {remote.name} ({remote.size} bytes, md5 {remote.md5}): {tried}; {hint}"
    )


def _new_part_file(dest_dir: Path, name: str) -> Path:
    # A unique .part name: two processes filling the same cache must not write into one
    # file, or one could rename the other's half-written bytes into place. Created as the
    # umask allows, like any other tool's file (mkstemp's would be owner-only).
    part = dest_dir / f"{name}.{secrets.token_hex(8)}.part"
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        part.open("xb").close()
    except OSError as exc:
        raise DownloadError(
            f"cannot write to download directory {dest_dir}: "
            f"{exc.strerror or exc}; expected a writable directory"
        ) from exc
    return part


def _fetch(
    url: str,
    part: Path,
    remote: RemoteFile,
    timeout: float,
    progress: Callable[[int, int], None] | None,
) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    digest = hashlib.md5(usedforsecurity=False)
    done = 0
    if progress is not None:
        progress(0, remote.size)
    with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
        # Read one byte past the published size at most: a mirror serving something larger
        # is wrong, and must not fill the disk before we notice.
        while chunk := response.read(min(_CHUNK, remote.size + 1 - done)):
            done += len(chunk)
            if done > remote.size:
                raise _Rejected(f"more than the expected {remote.size} bytes")
            digest.update(chunk)
            out.write(chunk)
            if progress is not None:
                progress(done, remote.size)
    if done != remote.size:
        raise _Rejected(f"got {done} bytes, expected {remote.size}")
    if digest.hexdigest() != remote.md5:
        raise _Rejected(f"md5 {digest.hexdigest()}, expected {remote.md5}")


def _reason(exc: BaseException, timeout: float) -> str:
    """One short line saying why a mirror failed."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, http.client.IncompleteRead):
        return f"connection closed after {len(exc.partial)} bytes"
    text = str(exc).replace("\n", " ").strip()
    return text or type(exc).__name__
