"""Training-curve PNGs from real CSV files."""

import math
from pathlib import Path

import pytest
from PIL import Image

from ganforge.figures.plots import is_loss_column, plot_training_curves
from ganforge.rundir.metrics_log import CsvLog


def write_logs(tmp_path: Path, fields: list[str], n_steps: int, n_epochs: int) -> tuple[Path, Path]:
    batches = CsvLog(tmp_path / "batches.csv", ["step", *fields])
    batches.write_rows(
        [
            {"step": s, **{f: math.sin(s / 10) + i for i, f in enumerate(fields)}}
            for s in range(n_steps)
        ]
    )
    epochs = CsvLog(tmp_path / "epochs.csv", ["epoch", *fields])
    epochs.write_rows([{"epoch": e, **{f: 1.0 / (e + 1) for f in fields}} for e in range(n_epochs)])
    return batches.path, epochs.path


def assert_png(path: Path) -> None:
    assert path.stat().st_size > 1000
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.width > 100 and im.height > 100


@pytest.mark.parametrize(
    "fields",
    [
        ["d_loss", "g_loss", "d_real", "d_fake"],
        ["d_loss", "g_loss", "d_real", "d_fake", "gp", "cls_loss", "lr"],
        ["d_loss", "g_loss"],
        ["d_real"],
    ],
)
def test_both_figures_written(tmp_path: Path, fields: list[str]) -> None:
    batches, epochs = write_logs(tmp_path, fields, n_steps=300, n_epochs=3)
    out = plot_training_curves(batches, epochs, tmp_path / "plots")
    assert out == [
        tmp_path / "plots" / "loss_per_batch.png",
        tmp_path / "plots" / "loss_per_epoch.png",
    ]
    for path in out:
        assert_png(path)
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "loss_per_batch.png",
        "loss_per_epoch.png",
    ]


def test_few_points_and_non_finite_values(tmp_path: Path) -> None:
    batches, epochs = write_logs(tmp_path, ["d_loss", "g_loss"], n_steps=3, n_epochs=1)
    CsvLog(batches, ["step", "d_loss", "g_loss"]).write_rows(
        [{"step": 3, "d_loss": float("nan"), "g_loss": float("inf")}]
    )
    for path in plot_training_curves(batches, epochs, tmp_path):
        assert_png(path)


def test_zero_epochs_skips_epoch_figure(tmp_path: Path) -> None:
    batches, epochs = write_logs(tmp_path, ["d_loss", "g_loss"], n_steps=10, n_epochs=0)
    assert plot_training_curves(batches, epochs, tmp_path) == [tmp_path / "loss_per_batch.png"]
    assert not (tmp_path / "loss_per_epoch.png").exists()


def test_missing_empty_or_unknown_files_skip(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "other.csv").write_text("step,fid\n1,3.0\n")
    assert plot_training_curves(tmp_path / "absent.csv", tmp_path / "empty.csv", tmp_path) == []
    assert plot_training_curves(tmp_path / "other.csv", tmp_path / "other.csv", tmp_path) == []
    assert not list(tmp_path.glob("*.png"))


def test_loss_column_rule() -> None:
    assert is_loss_column("gp") and is_loss_column("r1") and is_loss_column("cls_loss")
    assert not is_loss_column("lr") and not is_loss_column("d_real")
