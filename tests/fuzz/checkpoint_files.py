"""A hostile checkpoint case (see ``hostile_checkpoints.py``) made into a file: the real
checkpoint's tensors changed by the case's tensor operations, its metadata by its JSON ones,
saved, then its bytes changed by its file operations.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import torch
from hostile_checkpoints import CheckpointCase
from hostile_json import delete_path, dumps, set_path
from safetensors.torch import save_file


def random_tensor(dtype: str, shape: tuple, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(shape, generator=g) * 3
    if dtype == "bool":
        return values > 0
    if dtype.startswith(("int", "uint")):
        return (
            values.round()
            .clamp(0 if dtype.startswith("u") else -100, 100)
            .to(getattr(torch, dtype))
        )
    return values.to(getattr(torch, dtype))


def _reshape(t: torch.Tensor, kind: str) -> torch.Tensor:
    flat = t.reshape(-1)
    shapes = {
        "flat": (flat.numel(),),
        "scalar": (),
        "empty": (0,),
        "lead1": (1, *t.shape),
        "trail1": (*t.shape, 1),
        "reverse": tuple(reversed(t.shape)),
        "grow": (flat.numel() + 1,),
        "shrink": (max(flat.numel() - 1, 0),),
    }
    shape = shapes[kind]
    n = math.prod(shape)
    data = flat[:n] if n <= flat.numel() else torch.cat([flat, flat[:1].repeat(n - flat.numel())])
    return data.reshape(shape) if n == data.numel() else torch.zeros(shape, dtype=t.dtype)


def _pick(tensors: dict, selector: tuple) -> str | None:
    group, index = selector
    names = sorted(tensors)
    pool = [n for n in names if n.startswith(group)] or names
    return pool[index % len(pool)] if pool else None


def apply_tensor_op(tensors: dict[str, torch.Tensor], op: tuple) -> None:
    kind = op[0]
    if kind == "add":
        name, dtype, shape, seed = op[1]
        tensors[name] = random_tensor(dtype, shape, seed)
        return
    if kind == "replace":
        tensors.clear()
        for name, dtype, shape, seed in op[1]:
            tensors[name] = random_tensor(dtype, shape, seed)
        return
    name = _pick(tensors, op[1])
    if name is None:
        return
    if kind == "drop":
        del tensors[name]
    elif kind == "cast":
        t = tensors[name]
        tensors[name] = (t.real if t.is_complex() else t).to(getattr(torch, op[2]))
    elif kind == "reshape":
        tensors[name] = _reshape(tensors[name], op[2])
    elif kind == "fill":
        t = tensors[name]
        value = (
            op[2] if t.is_floating_point() or t.is_complex() else 1 if t.dtype == torch.bool else 7
        )
        tensors[name] = torch.full(t.shape, value).to(t.dtype)  # float8 has no fill


def metadata_text(meta: dict, ops: tuple) -> str | None:
    """The ``ganforge`` metadata entry after ``ops`` (None: no such entry)."""
    doc: Any = copy.deepcopy(meta)
    text: str | None = None
    for op in ops:
        if op[0] == "set":
            doc = set_path(doc, op[1], copy.deepcopy(op[2]))
        elif op[0] == "delete":
            doc = delete_path(doc, op[1])
        elif op[0] == "json":
            doc = copy.deepcopy(op[1])
        elif op[0] == "text":
            text = op[1]
        elif op[0] == "absent":
            return None
    if text is not None:
        return text
    try:
        return dumps(doc)
    except ValueError:  # an integer of more digits than Python writes
        return '{"format": "ganforge-checkpoint/1", "step": ' + "9" * 5000 + "}"


def apply_file_op(data: bytes, op: tuple) -> bytes:
    kind = op[0]
    if kind == "truncate":
        return data[: len(data) * op[1] // 1000]
    if kind == "flip":
        out = bytearray(data)
        for where, mask in op[1]:
            if out:
                out[len(out) * where // 1000] ^= mask
        return bytes(out)
    if kind == "bytes":
        return op[1]
    if kind == "header":
        return op[1].to_bytes(8, "little") + data[8:]
    return data + op[1]


def write_checkpoint(case: CheckpointCase, base: tuple[dict, dict], path: Path) -> Path:
    """``case`` built from ``base`` (the real checkpoint's tensors and metadata) at ``path``."""
    tensors = {k: v.clone() for k, v in base[0].items()}
    for op in case.tensors:
        apply_tensor_op(tensors, op)
    text = metadata_text(base[1], case.meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = None if text is None else {"ganforge": text}
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=metadata)
    if case.file:
        data = path.read_bytes()
        for op in case.file:
            data = apply_file_op(data, op)
        path.write_bytes(data)
    return path
