"""A hostile run case (see ``hostile_runs.py``) made into a folder: a copy of the real run
with each change applied in turn (files replaced, fields edited, links, FIFOs and sparse
files made, folders removed or led elsewhere), reached through a symlink if the case says so.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import yaml
from checkpoint_files import write_checkpoint
from hostile_json import dumps, set_path
from hostile_runs import CHECKPOINTS, FOLDERS, RunCase, csv_text


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
        path.write_text(csv_text(rows))


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
