"""Per-arm statistics, failures in rows, the reuse of recorded metrics, an evaluation that
fails, the final grid and the CSV (no training, no evaluator)."""

import csv
import json
import os
from pathlib import Path

import pytest

import ganforge.experiments.study_results as study_results
from ganforge.evaluation.evaluate import PROTOCOL
from ganforge.experiments.study import Outcomes, StudyRun
from ganforge.experiments.study_results import (
    CSV_COLUMNS,
    METRICS,
    RUN_FACTS,
    arm_results,
    evaluate_runs,
    fid_label,
    final_grid,
    recorded_metrics,
    run_rows,
    write_csv,
)
from ganforge.setup.build import make_config


def row(arm: str, seed: int, fid: float | None, status: str = "ok") -> dict:
    """A CSV row as run_rows makes it: every value present, most of them missing here."""
    return {
        **{k: None for k in (*METRICS, *RUN_FACTS)},
        "arm": arm,
        "name": arm.upper(),
        "seed": seed,
        "status": status,
        "fid": fid,
        "recall": 0.5,
        "images_per_s": 100.0,
        "wall_time_s": 10.0,
        "sampling_images_per_s": 1000.0,
        "error": None if status == "ok" else "RuntimeError: boom",
    }


def runs_of(tmp_path: Path, arms: dict[str, int]) -> list[StudyRun]:
    cfg = make_config("gan")
    return [
        StudyRun(arm, arm.upper(), seed, cfg, tmp_path / arm / f"seed{seed}")
        for arm, seeds in arms.items()
        for seed in range(seeds)
    ]


def test_arm_results_mean_and_sd_over_finished_seeds(tmp_path: Path) -> None:
    runs = runs_of(tmp_path, {"a": 3, "b": 2})
    rows = [row("a", 0, 10.0), row("a", 1, 12.0), row("a", 2, None, "failed")]
    rows += [row("b", 0, 40.0), row("b", 1, None)]  # a metric that came out NaN: left out
    a, b = arm_results(runs, rows)
    assert a["mean"]["fid"] == pytest.approx(11.0) and a["sd"]["fid"] == pytest.approx(2**0.5)
    assert (a["runs"], a["finished"], a["failed"]) == (3, 2, {"2": "RuntimeError: boom"})
    assert a["seeds"]["1"]["fid"] == 12.0 and a["mean"]["precision"] is None
    assert a["mean"]["sampling_images_per_s"] == 1000.0
    assert b["mean"]["fid"] == 40.0 and b["sd"]["fid"] is None
    assert fid_label(a) == "FID 11.00 ± 1.41 over 2 seeds"
    assert fid_label(b) == "FID 40.00"  # one value: no spread to show
    assert fid_label({"mean": {"fid": None}, "sd": {"fid": None}}) == "FID —"


def test_run_rows_hold_failures_and_what_was_measured(tmp_path: Path, run_summary) -> None:
    runs = runs_of(tmp_path, {"a": 2})
    outcomes = Outcomes()
    outcomes.summaries[runs[0].dir] = run_summary(steps=5, epochs=0.5, params_g=7, wall_time_s=1)
    outcomes.metrics[runs[0].dir] = {"fid": 3.0, "n_fake": 200, "sampling_images_per_s": 9.0}
    outcomes.failures[runs[1].dir] = "RuntimeError: boom"
    ok, failed = run_rows(runs, outcomes, tmp_path)
    assert (ok["status"], ok["fid"], ok["n"], ok["params_g"], ok["run"]) == (
        "ok",
        3.0,
        200,
        7,
        "a/seed0",
    )
    assert ok["sampling_images_per_s"] == 9.0 and ok["error"] is None
    # What the run got: 5 steps of the gan recipe's batch (16), one batch a step.
    assert (ok["steps"], ok["images"], ok["wall_time_s"]) == (5, 5 * 16, 1)
    assert (failed["status"], failed["fid"], failed["error"]) == (
        "failed",
        None,
        "RuntimeError: boom",
    )


def test_recorded_metrics_must_match_n_seed_protocol_and_step(tmp_path: Path) -> None:
    assert recorded_metrics(tmp_path, 200, 5) is None
    result = {"n_fake": 200, "protocol": PROTOCOL, "fid": 3.0, "source": {"seed": 0, "steps": 5}}
    (tmp_path / "metrics.json").write_text(json.dumps(result))
    assert recorded_metrics(tmp_path, 200, 5) == result
    assert recorded_metrics(tmp_path, 1000, 5) is None  # FID depends on n
    assert recorded_metrics(tmp_path, 200, 10) is None  # the run trained on since
    (tmp_path / "metrics.json").write_text("{")
    assert recorded_metrics(tmp_path, 200, 5) is None


def test_an_evaluation_that_fails_is_recorded_and_the_others_go_on(
    tmp_path, monkeypatch, run_summary
):
    runs = runs_of(tmp_path, {"a": 3})
    outcomes = Outcomes()
    for run in runs[:2]:  # seed 2 failed in training: not evaluated
        run.dir.mkdir(parents=True)
        outcomes.summaries[run.dir] = run_summary(steps=5)
    recorded = {"n_fake": 100, "protocol": PROTOCOL, "source": {"seed": 0, "steps": 5}}
    (runs[1].dir / "metrics.json").write_text(json.dumps(recorded))  # reused as it is
    monkeypatch.setattr(study_results, "evaluator_for", lambda *a: "evaluator")
    monkeypatch.setattr(study_results, "real_reference", lambda *a: "reference")

    def broken(*args):
        raise ValueError("cannot sample")

    monkeypatch.setattr(study_results, "evaluate_run", broken)
    said = []
    evaluate_runs(runs, outcomes, 100, None, "cpu", said.append)
    assert outcomes.failures == {runs[0].dir: "ValueError: cannot sample"}
    assert outcomes.metrics == {runs[1].dir: recorded}
    assert "Traceback" in outcomes.tracebacks[runs[0].dir]
    assert said[0] == "[1/2] evaluating A seed 0 (n=100)"


def test_final_grid_is_the_latest_even_inside_epoch_zero(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    samples.mkdir()
    with pytest.raises(FileNotFoundError, match="holds no sample grid"):
        final_grid(tmp_path)
    # A 5-step run writes step 0's grid and its last one, both named epoch 0.
    first, last = samples / "epoch_0000.png", samples / "epoch_0000.00.png"
    for i, path in enumerate((last, first)):
        path.write_bytes(b"")
        os.utime(path, ns=(0, (2 - i) * 10**9))  # `last` is the newer file
    assert final_grid(tmp_path) == last
    (samples / "epoch_0002.png").write_bytes(b"")
    os.utime(samples / "epoch_0002.png", ns=(0, 0))
    assert final_grid(tmp_path).name == "epoch_0002.png"


def test_csv_has_a_header_and_empty_cells_for_missing_values(tmp_path: Path) -> None:
    rows = [{k: 1 for k in CSV_COLUMNS} | {"class_accuracy": None, "name": "+ input noise"}]
    write_csv(tmp_path / "a.csv", rows)
    with (tmp_path / "a.csv").open(newline="") as f:
        (read,) = list(csv.DictReader(f))
    assert list(read) == list(CSV_COLUMNS)
    assert read["class_accuracy"] == "" and read["name"] == "+ input noise"
