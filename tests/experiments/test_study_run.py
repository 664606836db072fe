"""Saving a study: its CSV, JSON, failures log and reports, from made-up results."""

import errno
import os
from pathlib import Path

import pytest
from tests.digit_folders import WORDS, N

from ganforge.data import DataSource
from ganforge.errors import DataError, WriteError
from ganforge.experiments.comparison import plan
from ganforge.experiments.study import Outcomes, StudyRun
from ganforge.experiments.study_results import arm_results, run_rows
from ganforge.experiments.study_run import (
    ReportText,
    StudyResult,
    save_study,
    study_data,
    study_record,
)
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


def test_a_full_disk_keeps_the_earlier_results_and_says_how_to_continue(
    tmp_path: Path, monkeypatch
):
    cfg = make_config("gan")
    runs = [StudyRun("gan", "gan", 0, cfg, tmp_path / "gan" / "seed0")]
    outcomes = Outcomes()
    outcomes.failures[runs[0].dir] = "RuntimeError: boom"
    rows = run_rows(runs, outcomes, tmp_path)
    result = StudyResult(tmp_path, runs, outcomes, rows, arm_results(runs, rows), 100, 0, None)
    text = ReportText("t", ["intro"], "ganforge compare gan --out x")
    save_study(result, "results.csv", "r.json", study_record(result), text)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    real_open = Path.open

    def disk_full(self, mode="r", *args, **kwargs):
        if "w" in mode and "results.csv" in self.name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", disk_full)
    with pytest.raises(WriteError) as info:
        save_study(result, "results.csv", "r.json", study_record(result), text)
    assert str(info.value) == (
        f"could not write {tmp_path / 'results.csv'}: No space left on device (the previous "
        "file there is intact); free space, then run the same command again (with --reuse "
        "where it has one) to continue the study: finished runs are kept, cut-short ones resume"
    )
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


@pytest.mark.mnist
def test_a_studys_runs_share_their_data_and_unlabelled_images_stop_a_conditional_one(
    digits, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    classes, flat = digits["root"] / "classes", digits["root"] / "flat"
    runs = plan(["gan", "acgan"], tmp_path, 1, DataSource("custom", data=classes))
    data = study_data(runs, None)
    assert data.class_names == tuple(sorted(WORDS)) and data.images.shape[0] == N - N // 10
    runs = plan(["gan", "acgan"], tmp_path, 1, DataSource("custom", data=flat))
    with pytest.raises(DataError, match=f"^{flat} is unlabelled; recipe 'acgan' is conditional"):
        study_data(runs, None)
    assert not any(run.dir.exists() for run in runs)
