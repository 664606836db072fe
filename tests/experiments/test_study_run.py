"""Saving a study: its CSV, JSON, failures log and reports, from made-up results."""

from pathlib import Path

from ganforge.experiments.study import Outcomes, StudyRun
from ganforge.experiments.study_results import arm_results, run_rows
from ganforge.experiments.study_run import ReportText, StudyResult, save_study, study_record
from ganforge.setup.build import make_config


def test_save_study_writes_results_reports_and_the_failures_log(tmp_path: Path):
    cfg = make_config("gan")
    runs = [StudyRun("gan", "gan", s, cfg, tmp_path / "gan" / f"seed{s}") for s in (0, 1)]
    outcomes = Outcomes()
    outcomes.failures[runs[0].dir] = "RuntimeError: boom"
    outcomes.tracebacks[runs[0].dir] = "Traceback (most recent call last): ...\n"
    outcomes.failures[runs[1].dir] = "RuntimeError: boom again"
    rows = run_rows(runs, outcomes, tmp_path)
    result = StudyResult(tmp_path, runs, outcomes, rows, arm_results(runs, rows), 100, 0, None)
    text = ReportText("t", ["intro"], "ganforge compare gan --out x")
    written = save_study(result, "r.csv", "r.json", study_record(result), text)
    assert [p.name for p in written] == [
        *("r.csv", "r.json", "failures.log", "report.html", "report.md")
    ]
    log = (tmp_path / "failures.log").read_text()
    assert "Traceback" in log and "RuntimeError: boom again" in log
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "gan seed 1: RuntimeError: boom again" in html and "ganforge compare gan" in html

    outcomes.failures.clear()  # a rerun where nothing failed: no stale log
    save_study(result, "r.csv", "r.json", study_record(result), text)
    assert not (tmp_path / "failures.log").exists()
