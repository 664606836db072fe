"""ganforge's one atomic writer, and safetensors files with its JSON metadata.

Every file ganforge writes goes through :func:`atomic_path`: a temporary file beside the
destination, fsynced, then ``os.replace``, so a crash, a full disk or a concurrent reader never
sees half a file. The file gets the mode any other tool's would: ``0o666`` less the umask
(0644 usually), not ``mkstemp``'s owner-only 0600, so a run folder can be shared.
A full disk or an unwritable folder met while writing is one
:class:`~ganforge.errors.WriteError` naming the file, whoever raised it: Python, Pillow,
matplotlib or safetensors (see :func:`writing`, which the appends to a log use too).
Checkpoints and the evaluator cache are safetensors files: tensors in the body, everything else
as one JSON document under the ``ganforge`` metadata key, read without pickle.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor

from ganforge.errors import CheckpointError, CheckpointWriteError, WriteError
from ganforge.rundir.records import MAX_DEPTH, parse_json

# The errors of a write that the user can fix: no room left (True), or no right to write there.
WRITE_FAILURES = {
    errno.ENOSPC: True,
    errno.EDQUOT: True,
    errno.EACCES: False,
    errno.EPERM: False,
    errno.EROFS: False,
}
# safetensors reports the OS error inside its own message: "... (os error 28)".
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def os_errno(err: BaseException) -> int | None:
    """The OS error number behind ``err``: an :class:`OSError`'s, or the one a
    ``SafetensorError`` of an I/O error carries in its message; None if there is none."""
    if isinstance(err, OSError):
        return err.errno
    found = _OS_ERROR.search(str(err)) if isinstance(err, SafetensorError) else None
    return int(found[1]) if found else None


def write_failure(err: BaseException) -> int | None:
    """The errno of ``err`` if it is one of :data:`WRITE_FAILURES`, else None."""
    code = os_errno(err)
    return code if code in WRITE_FAILURES else None


@contextlib.contextmanager
def writing(
    path: Path, what: str = "", replaces: bool = False, error: type[WriteError] = WriteError
) -> Iterator[None]:
    """Turn a full disk or an unwritable folder met in the block into one ``error`` (a
    :class:`WriteError`) naming ``path``; any other error passes unchanged. ``replaces``:
    the block replaces ``path`` atomically, so a file there before is intact (and said so)."""
    kept = replaces and Path(path).exists()
    try:
        yield
    except (OSError, SafetensorError) as err:
        code = write_failure(err)
        if code is None:
            raise
        reason = os.strerror(code)
        raise error(path, reason, WRITE_FAILURES[code], what, kept) from err


@contextlib.contextmanager
def atomic_path(path: Path, what: str = "", error: type[WriteError] = WriteError) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    The temporary file (``.NAME.XXXXXXXX.tmp``, which :meth:`RunLayout.clear_partial_files`
    clears) lives in the destination directory because ``os.replace`` is only atomic within one
    file system. It is created as the umask allows (see :func:`new_file`), keeps that mode
    whatever the block's writer does to it, and is fsynced before the rename. On error it is
    removed and ``path`` is left untouched; a full disk or an unwritable folder is then one
    ``error`` naming ``path`` (and ``what`` it is), see :func:`writing`.
    """
    path = Path(path)
    with writing(path, what, replaces=True, error=error):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = new_file(path.parent, f".{path.name}.", ".tmp")
        try:
            mode = tmp.stat().st_mode & 0o777
            yield tmp
            if tmp.stat().st_mode & 0o777 != mode:  # safetensors makes its own file, owner-only
                os.chmod(tmp, mode)
            _fsync_file(tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def new_file(folder: Path, prefix: str, suffix: str) -> Path:
    """Create an empty file ``folder/PREFIX<8 hex digits>SUFFIX`` under a name no one else
    has, with mode ``0o666`` less the umask: what ``open(..., "w")`` gives, where
    ``tempfile.mkstemp`` gives 0600 whatever the umask. The kernel applies the umask itself,
    so it is never read or changed (changing it would race with other threads)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        path = Path(folder) / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            os.close(os.open(path, flags, 0o666))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name {prefix}*{suffix} in {folder}")


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_safetensors(
    path: Path, tensors: dict[str, Tensor], meta: dict[str, Any], what: str
) -> Path:
    """Write ``path`` atomically: a temporary file in the same folder, fsync, then rename, so a
    crash or a full disk leaves the previous file intact, never half a file. A full disk or an
    unwritable folder is a :class:`CheckpointWriteError`, any other failure a
    :class:`CheckpointError`."""
    path = Path(path)
    try:
        with atomic_path(path, what, CheckpointWriteError) as tmp:
            save_file(tensors, str(tmp), metadata={"ganforge": json.dumps(meta)})
        _fsync_dir(path.parent)
    except (OSError, SafetensorError) as err:  # another I/O error (EIO, ...): one line too
        code = os_errno(err)
        if code is None and not isinstance(err, OSError):
            raise  # not an I/O error: a bug, with its traceback
        reason = os.strerror(code) if code is not None else str(err)
        kept = f" (the previous {what} there is intact)" if path.exists() else ""
        raise CheckpointError(f"could not write {what} {path}: {reason}{kept}") from err
    return path


def read_safetensors(
    path: Path, what: str, tensors: bool = True
) -> tuple[dict[str, Tensor], dict[str, Any] | None]:
    """The tensors (none unless ``tensors``: the header alone is read) and the decoded
    ``ganforge`` metadata (None if absent, not JSON, or JSON nested deeper than a run file
    may be: see :func:`~ganforge.rundir.records.parse_json`)."""
    try:
        with safe_open(str(path), framework="pt") as fh:
            raw = (fh.metadata() or {}).get("ganforge")
            keys = fh.keys() if tensors else []
            found = {key: fh.get_tensor(key) for key in keys}
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(
            f"{path} is not a readable {what} (truncated or not safetensors): {err}"
        ) from None
    try:
        meta = parse_json(raw, path, CheckpointError) if raw else None
    except CheckpointError:  # not JSON, too deep for the parser, a number too long to read
        meta = None
    if meta is None and raw and depth_exceeded(raw):
        raise CheckpointError(f"{path} nests JSON over {MAX_DEPTH} levels deep in its metadata")
    return found, meta if isinstance(meta, dict) else None


def depth_exceeded(raw: str) -> bool:
    """Whether JSON text opens more than :data:`MAX_DEPTH` brackets before closing them (a
    file refused for that is named so, not as "not a checkpoint")."""
    level = 0
    for char in raw:
        level += char in "[{"
        level -= char in "]}"
        if level > MAX_DEPTH:
            return True
    return False


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported on this platform (e.g. Windows)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
