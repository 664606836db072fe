"""A whole study, start to end: train its runs, score them, and write its results, the
failures' tracebacks and its report into OUT."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganforge.config.schema import SUBSET_KEYS
from ganforge.data import ImageData, training_subset
from ganforge.errors import WriteError
from ganforge.experiments.study import Outcomes, StudyRun, continue_study, train_all
from ganforge.experiments.study_report import charts, pictures, provenance_rows, run_commands
from ganforge.experiments.study_results import (
    EVAL_SEED,
    arm_results,
    evaluate_runs,
    run_rows,
    write_csv,
    write_json,
)
from ganforge.models import get_recipe
from ganforge.reporting.html_report import write_html
from ganforge.reporting.md_report import write_markdown
from ganforge.reporting.report import Report
from ganforge.rundir.atomic import write_text
from ganforge.rundir.confine import confined
from ganforge.setup.build import resolve_device
from ganforge.setup.data import data_source, training_split

FAILURES_LOG = "failures.log"


@dataclass
class StudyResult:
    """A study's runs, what became of them, one row per run and the per-arm statistics."""

    out: Path
    runs: list[StudyRun]
    outcomes: Outcomes
    rows: list[dict[str, Any]]
    arms: list[dict[str, Any]]
    eval_samples: int
    curve_samples: int
    data_dir: Path | None


def run_study(
    runs: list[StudyRun],
    out: Path,
    data_dir: Path | None = None,
    eval_samples: int = 10_000,
    device: str = "auto",
    say: Callable[[str], None] = lambda _: None,
    display: bool | None = None,
    arm_word: str = "arm",
    curve_samples: int = 0,
    data: ImageData | None = None,
) -> StudyResult:
    """Train every run (finished ones reused, cut-short ones continued) on ``data`` (their
    training images, see :func:`study_data`, loaded here if not given), score the finished
    ones on ``eval_samples`` samples (and their FID curves on ``curve_samples``), and gather
    their rows and per-arm statistics."""
    for run in runs:  # an OUT/<arm> symlinked elsewhere: refused before anything is written
        confined(out, run.dir, "study folder")
    eval_device = str(resolve_device(device))
    data = data if data is not None else study_data(runs, data_dir)
    outcomes = train_all(runs, data, data_dir, say, display, arm_word)
    evaluate_runs(runs, outcomes, eval_samples, data_dir, eval_device, say, curve_samples)
    rows = run_rows(runs, outcomes, out)
    arms = arm_results(runs, rows)
    return StudyResult(out, runs, outcomes, rows, arms, eval_samples, curve_samples, data_dir)


def study_data(runs: list[StudyRun], data_dir: Path | None) -> ImageData:
    """The training images every run of the study trains on (their configs name the same
    data: a known dataset, or the user's own less its test split), loaded once. Unlabelled
    data for a conditional recipe is refused here in one line, before any run trains."""
    cfg = next((r.cfg for r in runs if get_recipe(r.cfg.recipe).conditional), runs[0].cfg)
    split = training_split(cfg, data_dir)[0]
    training_subset(split, data_source(cfg, data_dir).subset)  # one it cannot give: said here
    return split


def study_record(result: StudyResult) -> dict[str, Any]:
    """The JSON record's shared part: the evaluation, per-arm statistics, one row per run."""
    first = next(iter(result.outcomes.metrics.values()), {})
    cfg = result.runs[0].cfg
    own = {"data": cfg.data, "test_data": cfg.test_data, "holdout": cfg.holdout}
    subset = {k: v for k, v in cfg.to_dict().items() if k in SUBSET_KEYS}  # with a subset
    return {
        "dataset": cfg.dataset,
        **(own if cfg.data is not None else {}),
        **subset,
        "seeds": sorted({run.seed for run in result.runs}),
        "evaluation": {
            "n": result.eval_samples,
            "seed": EVAL_SEED,
            "protocol": first.get("protocol"),
            "evaluator": first.get("evaluator"),
            "fid_curve_samples": result.curve_samples,
        },
        "arms": result.arms,
        "runs": result.rows,
    }


@dataclass
class ReportText:
    """What a study's report says about itself: title, opening lines, notes and the command
    that reproduces the whole study."""

    title: str
    intro: list[str]
    command: str
    notes: list[str] = field(default_factory=list)


def save_study(
    result: StudyResult, csv_name: str, json_name: str, record: dict[str, Any], text: ReportText
) -> list[Path]:
    """Write the CSV, the JSON ``record``, ``failures.log`` (tracebacks; removed when nothing
    failed) and ``report.html`` / ``report.md``; the paths written. A full disk or an
    unwritable folder is a :class:`WriteError` that says how to continue the study."""
    try:
        return _save_study(result, csv_name, json_name, record, text)
    except WriteError as err:
        raise continue_study(err) from err


def _save_study(
    result: StudyResult, csv_name: str, json_name: str, record: dict[str, Any], text: ReportText
) -> list[Path]:
    out, outcomes = result.out, result.outcomes
    write_csv(out / csv_name, result.rows)
    write_json(out / json_name, record)
    written = [out / csv_name, out / json_name]
    log = out / FAILURES_LOG
    failures = [
        f"{run.name} seed {run.seed}: {outcomes.failures[run.dir]}"
        for run in result.runs
        if run.dir in outcomes.failures
    ]
    if failures:
        write_text(
            log,
            "".join(
                f"== {run.dir}\n{outcomes.tracebacks.get(run.dir, outcomes.failures[run.dir])}\n"
                for run in result.runs
                if run.dir in outcomes.failures
            ),
        )
        written.append(log)
        failures.append(f"tracebacks in {FAILURES_LOG}")
    else:
        log.unlink(missing_ok=True)
    grids, gifs = pictures(result.runs, outcomes, result.arms)
    with tempfile.TemporaryDirectory(prefix="ganforge-report-") as tmp:
        report = Report(
            title=text.title,
            intro=text.intro,
            arms=result.arms,
            rows=result.rows,
            grids=grids,
            gifs=gifs,
            charts=charts(result.runs, outcomes, result.arms, Path(tmp)),
            failures=failures,
            notes=text.notes,
            provenance=provenance_rows(
                result.runs, outcomes, result.eval_samples, result.curve_samples
            ),
            commands=[
                "# the whole study:",
                text.command,
                *run_commands(result.runs, result.data_dir, result.eval_samples),
            ],
        )
        written.append(write_html(report, out / "report.html"))
        written.append(write_markdown(report, out / "report.md"))
    return written
