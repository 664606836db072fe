"""The one atomic writer: a file appears whole or not at all, with the mode the umask gives."""

import errno
import os
import pickle
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors import SafetensorError

import ganforge.rundir.atomic as atomic
from ganforge.errors import CheckpointError, CheckpointWriteError, WriteError
from ganforge.rundir.atomic import (
    atomic_path,
    new_file,
    read_safetensors,
    write_safetensors,
    write_text,
)


def test_every_kind_of_file_gets_the_mode_the_umask_gives(tmp_path, umask):
    write_text(tmp_path / "summary.json", "{}")
    write_safetensors(tmp_path / "last.safetensors", {"w": torch.ones(2)}, {"a": 1}, "checkpoint")
    with atomic_path(tmp_path / "grid.png") as tmp:
        Image.new("L", (4, 4)).save(tmp, format="PNG")
    with atomic_path(tmp_path / "log.csv") as tmp, tmp.open("w") as f:
        f.write("step\n1\n")
    new_file(tmp_path, ".x.", ".tmp")
    assert umask(tmp_path) == {}


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = write_text(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    tensors, meta = read_safetensors(
        write_safetensors(tmp_path / "t.safetensors", {"w": torch.zeros(1)}, {"k": 2}, "file"),
        "file",
    )
    assert meta == {"k": 2} and tensors["w"].tolist() == [0.0]


def test_new_file_names_are_unique_and_cleared_as_partial_files(tmp_path):
    names = {new_file(tmp_path, ".grid.png.", ".tmp").name for _ in range(50)}
    assert len(names) == 50
    assert all(n.startswith(".grid.png.") and n.endswith(".tmp") and len(n) == 22 for n in names)


# -- a full disk, an unwritable folder --------------------------------------------------------


AGAIN = "then run the same command again"


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.ENOSPC, f"free space, {AGAIN}"),
        (errno.EDQUOT, f"free space, {AGAIN}"),
        (errno.EACCES, f"make {{folder}} writable (or write elsewhere), {AGAIN}"),
        (errno.EROFS, f"make {{folder}} writable (or write elsewhere), {AGAIN}"),
    ],
)
def test_a_failed_write_is_one_write_error_naming_the_file(tmp_path, code, advice):
    path = write_text(tmp_path / "summary.json", "old")
    with pytest.raises(WriteError) as info, atomic_path(path) as tmp:
        tmp.write_text("half")
        raise OSError(code, os.strerror(code))
    assert str(info.value) == (
        f"could not write {path}: {os.strerror(code)} (the previous file there is intact); "
        + advice.format(folder=tmp_path)
    )
    assert info.value.full is (code in (errno.ENOSPC, errno.EDQUOT))
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_an_unwritable_folder_is_a_write_error_naming_the_file(tmp_path, monkeypatch):
    def refused(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refused)
    target = tmp_path / "new" / "grid.png"
    with pytest.raises(WriteError, match=f"^could not write {target}: Permission denied; make"):
        write_text(target, "x")


def test_other_errors_pass_unchanged(tmp_path):
    with pytest.raises(OSError, match="Input/output error"), atomic_path(tmp_path / "a") as tmp:
        tmp.write_text("x")
        raise OSError(errno.EIO, os.strerror(errno.EIO))
    with pytest.raises(ValueError), atomic_path(tmp_path / "a"):
        raise ValueError("not a write's")


def safetensors_failing_with(monkeypatch, message: str) -> None:
    """save_file that writes half a file, then fails as safetensors' Rust core does."""

    def failing(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"half")
        raise SafetensorError(message)

    monkeypatch.setattr(atomic, "save_file", failing)


def test_safetensors_full_disk_is_a_checkpoint_write_error(tmp_path, monkeypatch):
    path = write_safetensors(tmp_path / "last.safetensors", {"w": torch.ones(2)}, {}, "checkpoint")
    before = path.read_bytes()
    safetensors_failing_with(
        monkeypatch, "Error while serializing: I/O error: No space left on device (os error 28)"
    )
    with pytest.raises(CheckpointWriteError) as info:
        write_safetensors(path, {"w": torch.zeros(2)}, {}, "checkpoint")
    assert isinstance(info.value, WriteError) and isinstance(info.value, CheckpointError)
    assert str(info.value) == (
        f"could not write checkpoint {path}: No space left on device (the previous checkpoint "
        "there is intact); free space, then run the same command again"
    )
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [path.name]
    copy = pickle.loads(pickle.dumps(info.value))  # e.g. across processes
    assert type(copy) is CheckpointWriteError and str(copy) == str(info.value)


def test_safetensors_other_io_errors_are_one_line_and_its_bugs_are_not_hidden(
    tmp_path, monkeypatch
):
    path = tmp_path / "e.safetensors"
    safetensors_failing_with(monkeypatch, "Error while serializing: I/O error: x (os error 5)")
    with pytest.raises(CheckpointError) as info:
        write_safetensors(path, {"w": torch.zeros(2)}, {}, "evaluator")
    assert not isinstance(info.value, WriteError)
    assert str(info.value) == f"could not write evaluator {path}: Input/output error"
    safetensors_failing_with(monkeypatch, "Error while serializing: not an I/O error")
    with pytest.raises(SafetensorError):
        write_safetensors(path, {"w": torch.zeros(2)}, {}, "evaluator")
    assert list(tmp_path.iterdir()) == []
