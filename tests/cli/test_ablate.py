"""``ganforge ablate``: its refusals, and one real tiny ablation on MNIST, run twice."""

import csv
import json
import sys

import pytest
from PIL import Image

from ganforge.cli import main
from ganforge.reporting.ablation_figure import PANEL_GAP

RUNGS = ("1-baseline", "2-dropout-dsteps", "3-label-smoothing", "4-input-noise")


def ganforge(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``ganforge ARGS`` through the console entry point, in this process (a fresh one would
    add seconds of imports per call): (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["ganforge", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


def test_help_shows_the_ladder_and_an_example(monkeypatch, capsys):
    code, out, _ = ganforge(monkeypatch, capsys, "ablate", "--help")
    assert code == 0
    assert "+ label smoothing" in out and "ganforge ablate improved-dcgan --seeds 3" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["wgan-gp"], "recipe 'wgan-gp' cannot be ablated: its config has no dropout"),
        (["dcgan"], "rung 2 '+ dropout, extra D steps' changes nothing for recipe 'dcgan'"),
        (["improved-dcgn"], "unknown recipe 'improved-dcgn'; did you mean 'improved-dcgan'?"),
        (["improved-dcgan", "--seeds", "0"], "Invalid value for '--seeds'"),
        (["improved-dcgan", "--eval-samples", "50"], "Invalid value for '--eval-samples'"),
        (["improved-dcgan", "--device", "gpu"], "train.device must be 'auto', 'cpu'"),
        (["improved-dcgan", "--test-data", "t"], "--test-data is the test split of your own"),
        (["improved-dcgan", "--data", "d", "--dataset", "mnist"], "name two training sets"),
        (["improved-dcgan", "--data", "/no/such"], "/no/such does not exist; expected a folder"),
        (["improved-dcgan", "--data-fraction", "2"], "data_fraction (--data-fraction) must be in"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args, message, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    code, _, stderr = ganforge(monkeypatch, capsys, "ablate", *args, "--out", str(out))
    assert code == 2
    assert message in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not out.exists()  # refused before anything is written


@pytest.mark.mnist
def test_tiny_ablation_then_a_rerun_that_continues(
    tmp_path, mnist_short_test_dir, mnist_evaluator, one_thread, monkeypatch, capsys
):
    out = tmp_path / "abl"
    args = ["ablate", "improved-dcgan", "--steps", "5", "--eval-samples", "200"]
    args += ["--curve-samples", "100"]
    # The test split cut to 1,000 images: the same evaluator, a faster score.
    args += ["--data-dir", str(mnist_short_test_dir), "--out", str(out), "--device", "cpu"]
    code, table, _ = ganforge(monkeypatch, capsys, *args)
    assert code == 0
    for name in ("[-1,1] + tanh", "+ dropout, extra D steps", "+ label smoothing", "FID"):
        assert name in table  # on stdout
    runs = [out / rung / "seed0" for rung in RUNGS]
    assert all((run / "summary.json").exists() and (run / "metrics.json").exists() for run in runs)

    with (out / "ablation.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["arm"], r["seed"], r["steps"], r["n"], r["status"]) for r in rows] == [
        (rung, "0", "5", "200", "ok") for rung in RUNGS
    ]
    assert all(float(r["fid"]) > 0 and float(r["images_per_s"]) > 0 for r in rows)
    record = json.loads((out / "ablation.json").read_text())
    assert record["evaluation"]["evaluator"]["weights_hash"] == mnist_evaluator.weights_hash
    assert record["rungs"][1]["diff"]["d_steps"] == {"from": 1, "to": 2}
    assert record["rungs"][0]["mean"]["fid"] == pytest.approx(float(rows[0]["fid"]))
    with Image.open(out / "ablation.png") as figure:  # four 242-pixel grids under titles
        assert figure.width == 4 * 242 + 3 * PANEL_GAP and figure.height > 242
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "+ label smoothing" in report and "FID: " in report and "FID during training" in report
    assert (out / "report.md").exists() and (out / "report_files").is_dir()

    # A rerun skips what is done: here a run killed while writing its final outputs is
    # finished (no training), and no evaluation is redone.
    (runs[3] / "summary.json").unlink()
    stamps = [(run / "metrics.json").stat().st_mtime_ns for run in runs]
    before = (out / "ablation.csv").read_text()
    code, _, log = ganforge(monkeypatch, capsys, *args)
    assert code == 0 and log.count("finished before, skipped") == 3
    assert "evaluating" not in log
    assert (runs[3] / "summary.json").exists()
    assert [(run / "metrics.json").stat().st_mtime_ns for run in runs] == stamps
    assert (out / "ablation.csv").read_text() == before  # the same runs, the same numbers


@pytest.mark.mnist
def test_the_ladder_trains_on_your_own_images(digits, tmp_path, one_thread, monkeypatch, capsys):
    """Every rung trains on the flat folder less its hold-out, and the report's command names
    it. (Scoring on your own images is the evaluator's: not checked here.)"""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    flat, out = digits["root"] / "flat", tmp_path / "abl"
    args = ["ablate", "improved-dcgan", "--steps", "2", "--eval-samples", "100", "--device", "cpu"]
    args += ["--curve-samples", "0", "--data", str(flat), "--holdout", "0.2", "--out", str(out)]
    code, _, log = ganforge(monkeypatch, capsys, *args)
    assert code == 0, log
    held = f"{flat} (image folder, unlabelled), 240 of 300 images (60 held out for testing)"
    for rung in RUNGS:
        summary = json.loads((out / rung / "seed0" / "summary.json").read_text())
        assert (summary["dataset"], summary["data_source"], summary["steps"]) == ("custom", held, 2)
    assert json.loads((out / "ablation.json").read_text())["data"] == str(flat)
    assert (out / "ablation.png").is_file()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert (
        f"--data {flat} --holdout 0.2" in report
        and f"ladder on {flat.parent.name}/{flat.name}:" in report
    )
