"""The one atomic writer: a file appears whole or not at all, with the mode the umask gives."""

import pytest
import torch
from PIL import Image

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
