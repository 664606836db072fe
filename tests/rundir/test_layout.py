"""Names of a run directory's files: grids and numbered checkpoints by (fractional) epoch."""

import os
from pathlib import Path

import pytest

from ganforge.rundir.layout import RunLayout, epoch_name


def test_epoch_names_keep_their_form_and_take_more_decimals_when_asked():
    assert [epoch_name(e) for e in (0, 3, 3.0, 3.25, 0.534188)] == [
        "0000",
        "0003",
        "0003",
        "0003.25",
        "0000.53",
    ]
    assert epoch_name(0.534188, 3) == "0000.534" and epoch_name(12, 3) == "0012"
    layout = RunLayout(Path("run"))
    assert layout.sample_grid(1.25).name == "epoch_0001.25.png"
    assert layout.epoch_checkpoint(2).name == "epoch_0002.safetensors"
    assert layout.epoch_checkpoint(0.534188, 3).name == "epoch_0000.534.safetensors"


def test_numbered_checkpoints_are_listed_in_training_order(tmp_path):
    """By epoch, which file-name order is not (``epoch_0001.50`` sorts before
    ``epoch_0001``); a name that is no epoch is left out."""
    layout = RunLayout(tmp_path)
    layout.make()
    for name in ("epoch_0002", "epoch_0001.50", "epoch_0001", "epoch_0000.534", "epoch_x"):
        (layout.checkpoints / f"{name}.safetensors").write_bytes(b"")
    layout.last_checkpoint.write_bytes(b"")
    assert [p.name for p in layout.epoch_checkpoints()] == [
        "epoch_0000.534.safetensors",
        "epoch_0001.safetensors",
        "epoch_0001.50.safetensors",
        "epoch_0002.safetensors",
    ]


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_globs_find_regular_files_only(tmp_path):
    """Found by tests/fuzz: a FIFO named like a grid was handed to the GIF writer (and the
    studio), whose read waited forever; a folder named like one fails to open."""
    layout = RunLayout(tmp_path)
    layout.make()
    os.mkfifo(layout.sample_grid(1))
    layout.sample_grid(2).mkdir()
    layout.sample_grid(3).write_bytes(b"")
    (layout.samples / "epoch_0004.png").symlink_to(layout.sample_grid(3))  # inside: kept
    os.mkfifo(layout.epoch_checkpoint(1))
    found = sorted(p.name for p in layout.glob(layout.samples, "epoch_*.png"))
    assert found == ["epoch_0003.png", "epoch_0004.png"]
    assert layout.epoch_checkpoints() == []


def test_grids_are_listed_in_epoch_order_without_names_of_no_epoch(tmp_path):
    """Found by tests/fuzz: a ``samples/epoch_x.png`` made a resumed run's GIF fail with a
    ValueError traceback (its frames were sorted by the epochs in their names)."""
    layout = RunLayout(tmp_path)
    layout.make()
    for name in ("epoch_0002", "epoch_0001.50", "epoch_0001", "epoch_x", "epoch_nan", "epoch_-1"):
        (layout.samples / f"{name}.png").write_bytes(b"")
    assert [p.name for p in layout.sample_grids()] == [
        "epoch_0001.png",
        "epoch_0001.50.png",
        "epoch_0002.png",
    ]
