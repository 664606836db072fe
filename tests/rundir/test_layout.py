"""Names of a run directory's files: grids and numbered checkpoints by (fractional) epoch."""

from pathlib import Path

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
