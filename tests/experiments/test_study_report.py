"""The report's parts taken from run directories: pictures, charts, provenance, commands."""

from pathlib import Path

from PIL import Image

from ganforge.data import DataLimit, DataSource
from ganforge.experiments.study import Outcomes, StudyRun
from ganforge.experiments.study_report import (
    DURING_TRAINING,
    charts,
    first_finished,
    pictures,
    provenance_rows,
    run_commands,
    run_curve,
    source_options,
)
from ganforge.setup.build import make_config


def fake_run(root: Path, recipe: str, seed: int) -> StudyRun:
    """A run directory with what a finished run leaves for the report (no training)."""
    run = StudyRun(recipe, recipe, seed, make_config(recipe), root / recipe / f"seed{seed}")
    (run.dir / "samples").mkdir(parents=True)
    (run.dir / "metrics").mkdir()
    Image.new("L", (16, 16)).save(run.dir / "samples" / "epoch_0001.png")
    Image.new("L", (16, 16)).save(run.dir / "progress.gif")
    (run.dir / "metrics" / "fid_curve.csv").write_text("epoch,step,time,fid,n\n1,10,5.0,30.0,100\n")
    (run.dir / "metrics" / "batches.csv").write_text("step,d_loss,g_loss\n1,1.0,2.0\n")
    return run


def arm(key: str) -> dict:
    return {"arm": key, "name": key, "mean": {"fid": 30.0}, "sd": {"fid": 1.5}}


def test_pictures_charts_and_provenance_come_from_the_first_finished_runs(
    tmp_path: Path, run_summary
):
    runs = [fake_run(tmp_path, "gan", 0), fake_run(tmp_path, "gan", 1)]
    runs += [fake_run(tmp_path, "acgan", 0)]
    outcomes = Outcomes()
    summary = run_summary(steps=10, versions={"git_commit": "abc", "torch": "2.4"}, device="cpu")
    for run in runs[1:]:  # gan seed 0 failed
        outcomes.summaries[run.dir] = summary
        outcomes.metrics[run.dir] = {"protocol": "p/1", "evaluator": {"weights_hash": "e9"}}
    assert first_finished(runs, outcomes) == {"gan": runs[1], "acgan": runs[2]}
    grids, gifs = pictures(runs, outcomes, [arm("gan"), arm("acgan")])
    assert [g.caption for g in grids] == [
        "gan (seed 1): FID 30.00 ± 1.50",
        "acgan (seed 0, one row per class): FID 30.00 ± 1.50",
    ]
    assert gifs[0].path == runs[1].dir / "progress.gif"
    drawn = charts(runs, outcomes, [arm("gan"), arm("acgan")], tmp_path)
    assert [p.path.name for p in drawn] == ["fid_curves.png", "losses.png"]
    rows = dict(provenance_rows(runs, outcomes, 1000, 0))
    assert rows["runs trained at commit"] == "abc" and rows["evaluator weights hash"] == "e9"
    assert rows["FID curves"] == DURING_TRAINING
    assert rows["final evaluation"].startswith("n = 1,000")
    commands = run_commands(runs, Path("data dir"), 1000)
    assert "--config" in commands[1] and "'data dir'" in commands[1]
    assert commands[2].startswith("ganforge evaluate runs/again --n 1000")


def test_without_a_measured_curve_a_run_shows_its_evaluations_during_training(tmp_path):
    run = fake_run(tmp_path, "dcgan", 0)
    assert run_curve(run.dir) == run.dir / "metrics" / "fid_curve.csv"
    (run.dir / "metrics" / "fid_curve.csv").unlink()  # --curve-samples 0
    eval_csv = run.dir / "metrics" / "eval.csv"
    eval_csv.write_text("epoch,step,time,fid\n16.1,500,94.4,13.2\n32.3,1000,170.5,5.3\n")
    assert run_curve(run.dir) == eval_csv
    outcomes = Outcomes()
    outcomes.summaries[run.dir] = object()
    drawn = charts([run], outcomes, [arm("dcgan")], tmp_path)
    assert drawn[0].path.name == "fid_curves.png"


def test_the_reproduce_command_names_the_data_as_given() -> None:
    assert source_options("fashion-mnist") == ["--dataset=fashion-mnist"]
    held = DataSource("custom", data=Path("/d/my digits"), holdout=0.2)
    assert source_options(held) == ["--data=/d/my digits", "--holdout=0.2"]
    given = DataSource("custom", data=Path("/d/a"), test_data=Path("/d/b"))
    assert source_options(given) == ["--data=/d/a", "--test-data=/d/b"]
    small = DataSource(subset=DataLimit(1_000_000))  # a number never in exponent form
    assert source_options(small) == ["--dataset=mnist", "--data-limit=1000000"]
    held = DataSource("custom", data=Path("/d"), subset=DataLimit(fraction=0.05, seed=2))
    assert source_options(held)[1:] == [
        "--holdout=0.1",
        "--data-fraction=0.05",
        "--data-limit-seed=2",
    ]
