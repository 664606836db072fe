"""Hypothesis strategies of hostile checkpoints: a real small one changed by operations on
its JSON metadata, on its tensors and on its bytes.

A case is plain data (tuples of operations), so hypothesis prints it and shrinks it;
:func:`checkpoint_files.write_checkpoint` turns it into a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hostile_json import json_values, raw_texts, weighted
from hypothesis import strategies as st

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
