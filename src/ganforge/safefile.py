"""Safetensors files carrying ganforge's JSON metadata: written atomically, read without pickle.

Checkpoints and the evaluator cache both use this: tensors in the safetensors body, everything
else as one JSON document under the ``ganforge`` metadata key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor

from ganforge.errors import CheckpointError


def write_safetensors(
    path: Path, tensors: dict[str, Tensor], meta: dict[str, Any], what: str
) -> Path:
    """Write ``path`` atomically: a temporary file in the same folder, fsync, then rename, so a
    crash or a full disk leaves the previous file intact, never half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(tmp), metadata={"ganforge": json.dumps(meta)})
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as err:
        tmp.unlink(missing_ok=True)
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


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported on this platform (e.g. Windows)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
