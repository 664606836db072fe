"""Hypothesis strategies of hostile inputs: JSON of any shape, and checkpoints built from a
real small one by mutating its JSON metadata, its tensors and its bytes.

A case is plain data (tuples of operations), so hypothesis prints it and shrinks it;
:func:`write_checkpoint` turns it into a file from the real checkpoint's tensors and metadata.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from hypothesis import strategies as st
from safetensors.torch import save_file


@st.composite
def weighted(draw, *options: tuple[int, st.SearchStrategy]):
    """Draw from one of ``(weight, strategy)`` options (``one_of`` weighs branches equally)."""
    index = draw(st.sampled_from([i for i, (w, _) in enumerate(options) for _ in range(w)]))
    return draw(options[index][1])


# -- JSON ------------------------------------------------------------------------------------
WORDS = ["", "gan", "acgan", "dcgan", "mnist", "fashion-mnist", "ganforge-checkpoint/1", "nan"]
WORDS += ["standing", "../../etc/passwd", "cuda:0", "-1", "1e309", "opt_g", "params"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 40)
    | st.integers()
    | st.sampled_from([2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**30, 10**400])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(WORDS)
    | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=10,
)
deep_json = st.integers(20, 100_000).map(lambda n: "[" * n + "]" * n)
raw_texts = weighted(
    (3, st.text(max_size=40)),
    (2, deep_json),
    (1, st.sampled_from(["", "{", "null", '{"format": 1', "NaN", '{"step": 1' + "0" * 5000 + "}"])),
    (1, json_values.map(lambda v: json.dumps(v)[:-1])),  # cut short
)


def dumps(value: Any) -> str:
    """JSON as Python writes it (NaN and Infinity included)."""
    return json.dumps(value, allow_nan=True)


# Key paths of a checkpoint's metadata worth hitting; an int picks among what is there.
NAMED_PATHS = [
    ("config",),
    ("config", "model"),
    ("config", "model", "latent_dim"),
    ("config", "model", "g_hidden"),
    ("config", "model", "d_hidden"),
    ("config", "model", "g_channels"),
    ("config", "model", "embedding_dim"),
    ("config", "model", "resolution"),
    ("config", "model", "data_range"),
    ("config", "model", "latent_distribution"),
    ("config", "model", "ema_decay"),
    ("config", "model", "conditioning"),
    ("config", "recipe"),
    ("config", "dataset"),
    ("config", "train"),
    ("config", "train", "batch_size"),
    ("config", "train", "grid_layout"),
    ("step",),
    ("epoch",),
    ("num_classes",),
    ("recipe",),
    ("format",),
    ("data_fingerprint",),
    ("ema_batch_norm",),
    ("cuda_rng_device",),
    ("elapsed",),
    ("rollbacks",),
    ("optimizers",),
    ("optimizers", "opt_g"),
    ("optimizers", "opt_d", "param_groups"),
    ("optimizers", "opt_g", "param_groups", 0),
    ("optimizers", "opt_g", "param_groups", 0, "lr"),
    ("optimizers", "opt_d", "param_groups", 0, "betas"),
    ("optimizers", "opt_g", "param_groups", 0, "params"),
    ("optimizers", "opt_d", "param_groups", 0, "eps"),
    ("optimizers", "opt_g", "param_groups", 0, "weight_decay"),
    ("optimizers", "opt_g", "param_groups", 0, "fused"),
    ("optimizers", "opt_g", "scalars"),
    ("optimizers", "opt_d", "scalars", "0"),
]
key_paths = weighted(
    (4, st.sampled_from(NAMED_PATHS)),
    (1, st.lists(st.integers(0, 60) | st.text(max_size=6), min_size=1, max_size=4).map(tuple)),
)


def _key(doc: dict, key: Any) -> Any:
    if isinstance(key, int):
        keys = sorted(doc, key=str)
        return keys[key % len(keys)] if keys else str(key)
    return key


def set_path(doc: Any, path: tuple, value: Any) -> Any:
    """``doc`` with ``value`` at ``path`` (made where missing; an int picks a present key)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        key = _key(doc, head)
        doc[key] = set_path(doc.get(key), rest, value)
        return doc
    if isinstance(doc, list) and doc:
        index = head % len(doc) if isinstance(head, int) else 0
        doc[index] = set_path(doc[index], rest, value)
        return doc
    return {str(head): set_path(None, rest, value)}


def delete_path(doc: Any, path: tuple) -> Any:
    """``doc`` without what is at ``path`` (nothing when it is not there)."""
    head, rest = path[0], path[1:]
    if isinstance(doc, dict) and doc:
        key = _key(doc, head)
        if not rest:
            doc.pop(key, None)
        elif key in doc:
            delete_path(doc[key], rest)
    elif isinstance(doc, list) and doc:
        index = head % len(doc) if isinstance(head, int) else 0
        if not rest:
            del doc[index]
        else:
            delete_path(doc[index], rest)
    return doc


# -- checkpoints -----------------------------------------------------------------------------
DTYPES = ["float32", "float16", "bfloat16", "float64", "float8_e4m3fn", "float8_e5m2"]
DTYPES += ["int8", "uint8", "int16", "int32", "int64", "bool", "uint16", "complex64"]
GROUPS = ["", "generator.", "generator_ema.", "discriminator.", "opt_g.state.", "opt_d.", "rng."]
NEW_NAMES = ["generator.extra", "discriminator.x", "opt_g.state.0.exp_avg", "opt_g.state.0.step"]
NEW_NAMES += ["opt_g.state.999.exp_avg", "opt_d.state.x.y", "opt_g.state.0", "rng.cpu"]
NEW_NAMES += ["rng.cuda.0", "rng.cuda.7", "generator_ema.n_averaged", "opt_d.state.-1.exp_avg"]
FILLS = [math.nan, math.inf, -math.inf, 3e38, 0.0, -1.0, 255.0]
RESHAPES = ["flat", "scalar", "empty", "lead1", "trail1", "reverse", "grow", "shrink"]

selectors = st.tuples(st.sampled_from(GROUPS), st.integers(0, 10_000))
shapes = st.lists(st.integers(0, 5), max_size=3).map(tuple) | st.sampled_from([(784, 32), (8,)])
new_tensors = st.tuples(
    st.sampled_from(NEW_NAMES) | st.text(max_size=12),
    st.sampled_from(DTYPES),
    shapes,
    st.integers(0, 2**16),
)
meta_ops = st.one_of(
    st.tuples(st.just("set"), key_paths, json_values),
    st.tuples(st.just("delete"), key_paths),
    st.tuples(st.just("json"), json_values),
    st.tuples(st.just("text"), raw_texts),
    st.tuples(st.just("absent")),
)
tensor_ops = st.one_of(
    st.tuples(st.just("drop"), selectors),
    st.tuples(st.just("cast"), selectors, st.sampled_from(DTYPES)),
    st.tuples(st.just("reshape"), selectors, st.sampled_from(RESHAPES)),
    st.tuples(st.just("fill"), selectors, st.sampled_from(FILLS)),
    st.tuples(st.just("add"), new_tensors),
    st.tuples(st.just("replace"), st.lists(new_tensors, max_size=4)),
)
file_ops = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 999)),
    st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, 999), st.integers(1, 255)))),
    st.tuples(st.just("bytes"), st.binary(max_size=64)),
    st.tuples(st.just("header"), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=16)),
)


@dataclass(frozen=True)
class CheckpointCase:
    """A hostile checkpoint: the real one of ``base`` ("gan" or "acgan") changed by
    ``meta`` operations on its JSON metadata, ``tensors`` operations, then ``file`` ones
    on its bytes. No operation at all: the real checkpoint (which must load)."""

    base: str
    meta: tuple = ()
    tensors: tuple = ()
    file: tuple = ()


checkpoint_cases = st.builds(
    CheckpointCase,
    base=st.sampled_from(["gan", "acgan"]),
    meta=weighted((2, st.just(())), (3, st.lists(meta_ops, min_size=1, max_size=3).map(tuple))),
    tensors=weighted((2, st.just(())), (2, st.lists(tensor_ops, min_size=1, max_size=3))).map(
        tuple
    ),
    file=weighted((6, st.just(())), (1, st.lists(file_ops, min_size=1, max_size=2).map(tuple))),
)


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
