"""Hypothesis strategies of hostile run folders: a copy of a real small run whose files are
replaced with random bytes, JSON or YAML of the wrong types, a hostile checkpoint, or
symlinks leading out of the run (to a file holding a secret, to /etc/passwd, a folder
outside), dangling links, link loops, FIFOs, huge sparse files.

The outside folder (:func:`make_outside`) mirrors a run's layout, each file carrying
:data:`~outcomes.SECRET`, so that anything read through a link out of the run shows up in
what a target prints or answers.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st
from outcomes import SECRET
from PIL import Image, PngImagePlugin
from strategies import (
    CheckpointCase,
    checkpoint_cases,
    dumps,
    json_values,
    raw_texts,
    set_path,
    weighted,
    write_checkpoint,
)

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
).map(lambda rows: _csv(rows))


def _csv(rows: list[list[str]]) -> str:
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


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _link_target(run: Path, rel: str, kind: str, outside: Path, folder: bool) -> str | Path:
    targets = {
        "outside": outside / rel,
        "secret": outside / "secret.txt",
        "passwd": Path("/etc/passwd"),
        "etc": Path("/etc"),
        "dangling": run / "no-such-file",
        "self": run / rel,
        "escape": os.path.relpath(outside / "secret.txt", (run / rel).parent),
        "inside": run / ("plots" if folder else "summary.json"),
    }
    if kind == "inside" and rel.endswith(".safetensors"):
        return run / CHECKPOINTS[rel.endswith("last.safetensors")]
    return targets[kind]


def _write(path: Path, op: tuple, outside: Path, run: Path, bases: dict) -> None:
    kind = op[0]
    rel = path.relative_to(run).as_posix()
    if kind == "delete":
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "link" and op[1] == "loop":
        other = path.with_name(path.name + ".loop")
        other.unlink(missing_ok=True)
        other.symlink_to(path)
        path.symlink_to(other)
    elif kind == "link":
        path.symlink_to(_link_target(run, rel, op[1], outside, folder=False))
    elif kind == "folder":
        path.mkdir()
        (path / "inner.txt").write_text("a folder where a file belongs")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "sparse":
        with open(path, "wb") as fh:
            fh.truncate(op[1] * 2**20)
    elif kind == "checkpoint":
        write_checkpoint(op[1], bases[op[1].base], path)
    else:
        path.write_bytes(_content(rel, op, outside))


def _content(rel: str, op: tuple, outside: Path) -> bytes:
    kind = op[0]
    if kind == "empty":
        return b""
    if kind == "bytes":
        return op[1]
    if kind == "text":
        return op[1].encode("utf-8", "surrogatepass")
    if kind == "json":
        return dumps(op[1]).encode()
    if kind == "yaml":
        return yaml.safe_dump(op[1]).encode()
    if kind == "csv":
        return op[1].encode("utf-8", "surrogatepass")
    raise ValueError(f"no content {kind!r} for {rel}")


def mutate_field(path: Path, key_path: tuple, value) -> None:
    """The run's own file at ``path`` with ``value`` at ``key_path`` (YAML, JSON or CSV)."""
    if path.is_symlink() or not path.is_file() or path.suffix not in (".yaml", ".json", ".csv"):
        return
    try:
        _set_field(path, path.read_text(encoding="utf-8"), key_path, value)
    except (ValueError, yaml.YAMLError, RecursionError, csv.Error):  # a file changed before
        return


def _set_field(path: Path, text: str, key_path: tuple, value) -> None:
    if path.suffix == ".yaml":
        doc = set_path(yaml.safe_load(text), key_path, value)
        path.write_text(yaml.safe_dump(doc))
    elif path.suffix == ".json":
        path.write_text(dumps(set_path(json.loads(text), key_path, value)))
    elif path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        if len(rows) > 1 and isinstance(key_path[0], int):
            row = rows[1 + key_path[0] % (len(rows) - 1)]
            row[key_path[-1] % len(row) if isinstance(key_path[-1], int) else 0] = str(value)
        path.write_text(_csv(rows))


def build_run(case: RunCase, base: Path, root: Path, outside: Path, bases: dict) -> Path:
    """``case`` as a run folder under ``root``: the path a target is given (a symlink to
    the run folder when ``case.linked``)."""
    run = root / case.name
    shutil.copytree(base, run, symlinks=True)
    for rel, op in case.changes:
        path = run / rel
        if not _in_run(run, path.parent):  # an earlier change led the folder out: not there
            continue
        try:
            if rel in FOLDERS:
                _change_folder(run, rel, op, outside)
            elif op[0] == "field":
                mutate_field(path, op[1], op[2])
            else:
                if path.is_symlink() or path.exists():
                    _remove(path)
                _write(path, op, outside, run, bases)
        except (FileExistsError, NotADirectoryError):  # an earlier change made it impossible
            continue
    if not case.linked:
        return run
    link = root / f"{case.name}.link"
    link.symlink_to(run)
    return link


def _in_run(run: Path, folder: Path) -> bool:
    """Whether ``folder`` is (or would be) a folder inside ``run``, through any symlinks."""
    try:
        inside = folder.resolve().is_relative_to(run.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False
    return inside and (folder.is_dir() or not folder.exists())


def _change_folder(run: Path, rel: str, op: tuple, outside: Path) -> None:
    path = run / rel
    if path.is_symlink() or path.exists():
        _remove(path)
    if op[0] == "file":
        path.write_text("a file where a folder belongs")
    elif op[0] == "link" and op[1] == "loop":
        path.symlink_to(path)
    elif op[0] == "link":
        path.symlink_to(_link_target(run, rel, op[1], outside, folder=True))


def secret_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET)
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def make_outside(folder: Path, base_run: Path, bases: dict) -> Path:
    """A folder outside every run mirroring a run's files, each one carrying the secret: a
    summary and config of recipe SECRET, CSV logs with a SECRET column, PNGs with a SECRET
    text chunk, checkpoints of recipe SECRET."""
    folder.mkdir(parents=True)
    (folder / "secret.txt").write_text(SECRET + "\n")
    (folder / "config.yaml").write_text(f"recipe: {SECRET}\ndataset: mnist\n")
    summary = json.loads((base_run / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps({**summary, "recipe": SECRET}))
    (folder / "metrics.json").write_text(json.dumps({"fid": SECRET, "n_fake": 100}))
    (folder / "events.log").write_text(SECRET + "\n")
    for rel in CSV_FILES:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(f"step,{SECRET}\n1,2\n")
    for rel in IMAGES:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(secret_png())
    leak = CheckpointCase(
        "gan", meta=(("set", ("recipe",), SECRET), ("set", ("config", "recipe"), SECRET))
    )
    for rel in CHECKPOINTS:
        write_checkpoint(leak, bases["gan"], folder / rel)
    for name in ("generated", "tensorboard"):
        (folder / name).mkdir()
    return folder
