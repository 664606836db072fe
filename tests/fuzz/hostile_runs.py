"""Hypothesis strategies of hostile run folders: a copy of a real small run whose files are
replaced with random bytes, JSON or YAML of the wrong types, a hostile checkpoint, or
symlinks leading out of the run (to a file holding a secret, to /etc/passwd, a folder
outside), dangling links, link loops, FIFOs, huge sparse files.

A case is plain data, so hypothesis prints it and shrinks it; :func:`run_folders.build_run`
makes it into a folder.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from hostile_checkpoints import checkpoint_cases
from hostile_json import json_values, raw_texts, weighted
from hypothesis import strategies as st

JSON_FILES = ["summary.json", "metrics.json"]
CSV_FILES = ["metrics/batches.csv", "metrics/epochs.csv", "metrics/eval.csv"]
CSV_FILES += ["metrics/fid_curve.csv"]
IMAGES = ["samples/epoch_0000.png", "samples/epoch_0001.png", "samples/final.png"]
IMAGES += ["plots/loss_per_batch.png", "progress.gif"]
CHECKPOINTS = ["checkpoints/last.safetensors", "checkpoints/epoch_0001.safetensors"]
# Files a run does not have, named as if it did: a grid or checkpoint of no epoch, a
# temporary file of a killed writer.
STRANGERS = ["samples/epoch_x.png", "samples/epoch_nan.png", "samples/epoch_1e999.png"]
STRANGERS += ["checkpoints/epoch_x.safetensors", "checkpoints/.last.safetensors.1a2b.tmp"]
STRANGERS += ["plots/eval.png", "samples/final_class_3.png"]
FILES = ["config.yaml", *JSON_FILES, *CSV_FILES, *IMAGES, *CHECKPOINTS, "events.log"]
FILES += STRANGERS
FOLDERS = ["samples", "plots", "metrics", "checkpoints", "generated", "tensorboard"]
LINKS = ["outside", "secret", "passwd", "dangling", "loop", "self", "inside", "escape"]
FOLDER_LINKS = ["outside", "etc", "dangling", "loop", "self", "inside"]

csv_texts = st.lists(
    st.lists(
        st.sampled_from(["step", "epoch", "d_loss", "1", "nan", "", "x,y", '"'])
        | st.text(max_size=5),
        max_size=6,
    ),
    max_size=6,
).map(lambda rows: csv_text(rows))


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


# Key paths in config.yaml, summary.json and metrics.json; (row, column) in a CSV log.
FIELD_PATHS = [("recipe",), ("dataset",), ("model",), ("model", "latent_dim"), ("train",)]
FIELD_PATHS += [("model", "g_hidden"), ("model", "g_channels"), ("model", "resolution")]
FIELD_PATHS += [("train", "steps"), ("train", "batch_size"), ("train", "seed"), ("steps",)]
FIELD_PATHS += [("epochs",), ("final",), ("final", "d_loss"), ("fid",), ("n_fake",)]
FIELD_PATHS += [("learning_rates",), ("learning_rates", "opt_g"), ("versions",), ("device",)]
field_paths = weighted(
    (3, st.sampled_from(FIELD_PATHS)),
    (1, st.tuples(st.integers(0, 9), st.integers(0, 9))),
    (1, st.lists(st.integers(0, 60) | st.text(max_size=6), min_size=1, max_size=3).map(tuple)),
)
contents = st.one_of(
    st.tuples(st.just("delete")),
    st.tuples(st.just("empty")),
    st.tuples(st.just("bytes"), st.binary(max_size=200)),
    st.tuples(st.just("text"), raw_texts),
    st.tuples(st.just("json"), json_values),
    st.tuples(st.just("yaml"), json_values),
    st.tuples(st.just("field"), field_paths, json_values),
    st.tuples(st.just("csv"), csv_texts),
    st.tuples(st.just("link"), st.sampled_from(LINKS)),
    st.tuples(st.just("folder")),
    st.tuples(st.just("fifo")),
    st.tuples(st.just("sparse"), st.sampled_from([2, 17])),
    st.tuples(st.just("checkpoint"), checkpoint_cases),
)
file_changes = st.tuples(st.sampled_from(FILES), contents)
folder_changes = st.tuples(
    st.sampled_from(FOLDERS),
    st.one_of(
        st.tuples(st.just("delete")),
        st.tuples(st.just("file")),
        st.tuples(st.just("link"), st.sampled_from(FOLDER_LINKS)),
    ),
)


@dataclass(frozen=True)
class RunCase:
    """A hostile run: a copy of the real run ``base`` ("gan" or "acgan") changed by
    ``changes`` (``(path, operation)``), named ``name`` in its runs folder, reached through
    a symlink if ``linked``."""

    base: str
    changes: tuple
    name: str = "run"
    linked: bool = False


run_names = weighted(
    (6, st.just("run")),
    (1, st.text(st.characters(exclude_characters="/\x00", codec="utf-8"), min_size=1, max_size=12)),
).filter(lambda n: n not in (".", "..", "other"))  # "other": the studio's second run
changes = weighted(
    (1, st.just(())),  # the real run: it must work
    (8, st.lists(weighted((4, file_changes), (1, folder_changes)), min_size=1, max_size=4)),
).map(tuple)
run_cases = st.builds(
    RunCase,
    base=st.sampled_from(["gan", "acgan"]),
    changes=changes,
    name=run_names,
    linked=weighted((8, st.just(False)), (1, st.just(True))),
)
