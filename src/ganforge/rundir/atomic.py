"""ganforge's one atomic writer, and safetensors files with its JSON metadata.

Every file ganforge writes goes through :func:`atomic_path`: a temporary file beside the
destination, fsynced, then ``os.replace``, so a crash, a full disk or a concurrent reader never
sees half a file. Checkpoints and the evaluator cache are safetensors files: tensors in the
body, everything else as one JSON document under the ``ganforge`` metadata key, read without
pickle.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor

from ganforge.errors import CheckpointError


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    The temporary file (``.NAME.XXXX.tmp``, which :meth:`RunLayout.clear_partial_files`
    clears) lives in the destination directory because ``os.replace`` is only atomic within one
    file system. It is fsynced before the rename. On error it is removed and ``path`` is left
    untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_safetensors(
    path: Path, tensors: dict[str, Tensor], meta: dict[str, Any], what: str
) -> Path:
    """Write ``path`` atomically: a temporary file in the same folder, fsync, then rename, so a
    crash or a full disk leaves the previous file intact, never half a file."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata={"ganforge": json.dumps(meta)})
        _fsync_dir(path.parent)
    except OSError as err:
        kept = f" (the previous {what} there is intact)" if path.exists() else ""
        raise CheckpointError(
            f"could not write {what} {path}: {err.strerror or err}{kept}"
        ) from err
    return path


def read_safetensors(path: Path, what: str) -> tuple[dict[str, Tensor], dict[str, Any] | None]:
    """The tensors and the decoded ``ganforge`` metadata (None if absent or not JSON)."""
    try:
        with safe_open(str(path), framework="pt") as fh:
            raw = (fh.metadata() or {}).get("ganforge")
            tensors = {key: fh.get_tensor(key) for key in fh.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(
            f"{path} is not a readable {what} (truncated or not safetensors): {err}"
        ) from None
    try:
        meta = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        meta = None
    return tensors, meta if isinstance(meta, dict) else None


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
