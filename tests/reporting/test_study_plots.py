"""A study's charts: FID curves of every arm on one chart, and each arm's losses."""

from pathlib import Path

from PIL import Image

from ganforge.reporting.study_plots import plot_fid_curves, plot_loss_panels


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_fid_curves_and_loss_panels(tmp_path: Path):
    evals = [
        write(
            tmp_path / f"r{i}" / "metrics" / "eval.csv",
            f"epoch,step,time,fid\n1,4,2.0,{50 - i}\n1.5,6,3.1,40\n",
        )
        for i in range(2)
    ]
    path = plot_fid_curves(
        {"a": evals[:1], "b": evals[1:], "c": [tmp_path / "none.csv"]}, tmp_path / "fid.png"
    )
    assert path is not None
    with Image.open(path) as im:
        assert im.width > im.height
    assert plot_fid_curves({"a": [tmp_path / "none.csv"]}, tmp_path / "x.png") is None

    run = tmp_path / "r0"
    write(run / "metrics" / "batches.csv", "step,d_loss,g_loss,gp\n1,1.0,2.0,0.1\n2,0.9,2.1,0.2\n")
    write(run / "metrics" / "epochs.csv", "epoch,d_loss,g_loss\n1,0.95,2.05\n")
    losses = plot_loss_panels({"a": run, "b": tmp_path / "empty"}, tmp_path / "losses.png")
    assert losses is not None and losses.stat().st_size > 0
    assert plot_loss_panels({}, tmp_path / "none.png") is None
