"""Running ``ganforge compare``: plan, train, score, and write ``results.csv``,
``results.json``, ``report.html`` and ``report.md`` into OUT."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ganforge.data import DataSource
from ganforge.experiments.comparison import budget_train, describe_budget, plan
from ganforge.experiments.study import check_fresh
from ganforge.experiments.study_report import source_options
from ganforge.experiments.study_run import (
    ReportText,
    StudyResult,
    run_study,
    save_study,
    study_data,
    study_record,
)


def count(n: int, noun: str) -> str:
    """``1 recipe``, ``6 recipes``."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def compare_options(
    seeds: int,
    dataset: str | DataSource,
    eval_samples: int,
    curve_samples: int,
    budget_epochs: int | None = None,
    budget_minutes: float | None = None,
    device: str = "auto",
    assignments: Sequence[str] = (),
) -> list[str]:
    """The command-line options of a comparison, for its reproduce command (see
    :func:`compare_command`): the defaults spelled out, the device if not auto, each --set."""
    options = [f"--seeds={seeds}", *source_options(dataset), f"--eval-samples={eval_samples}"]
    options.append(f"--curve-samples={curve_samples}")
    if budget_epochs is not None:
        options.append(f"--budget-epochs={budget_epochs}")
    if budget_minutes is not None:
        options.append(f"--budget-minutes={budget_minutes:g}")
    options += [f"--device={device}"] if device != "auto" else []
    options += [f"--set={item}" for item in assignments]
    return options


def compare_command(
    recipes: Sequence[str], out: Path, options: Sequence[str], data_dir: Path | None
) -> str:
    """The command line that redoes the comparison (its recipes named, the options given)."""
    data = ["--data-dir", str(data_dir)] if data_dir is not None else []
    return shlex.join(["ganforge", "compare", *recipes, *options, *data, "--out", str(out)])


def run_compare(
    recipes: Sequence[str],
    out: Path,
    seeds: int = 3,
    dataset: str | DataSource = "mnist",
    data_dir: Path | None = None,
    budget_epochs: int | None = None,
    budget_minutes: float | None = None,
    eval_samples: int = 10_000,
    curve_samples: int = 2000,
    device: str = "auto",
    reuse: bool = False,
    overrides: dict[str, Any] | None = None,
    options: Sequence[str] = (),
    say: Callable[[str], None] = lambda _: None,
    display: bool | None = None,
) -> tuple[StudyResult, list[Path]]:
    """Compare ``recipes`` (the default six when empty) under one budget and seeds into
    ``out``, on ``dataset`` (a known one's name, or a :class:`DataSource` of the user's own
    images); returns the study and the files written. ``options`` are the command-line
    options to show in the report's reproduce command."""
    # Every check first, before anything is written.
    runs = plan(recipes, out, seeds, dataset, budget_epochs, budget_minutes, device, overrides)
    if not reuse:
        check_fresh(runs, out)
    data = study_data(runs, data_dir)  # the user's images missing or unfit: said here
    names = list(dict.fromkeys(run.arm for run in runs))
    budget = describe_budget(budget_train(budget_epochs, budget_minutes))
    what = f"{count(len(names), 'recipe')} × {count(seeds, 'seed')}"
    say(f"comparing {what}, {budget}: {len(runs)} runs → {out}")
    result = run_study(
        runs, out, data_dir, eval_samples, device, say, display, "recipe", curve_samples, data
    )
    record = {
        "kind": "compare",
        "recipes": names,
        "budget": budget_train(budget_epochs, budget_minutes),
        **study_record(result),
    }
    failed = len(result.outcomes.failures)
    intro = [
        f"{count(len(names), 'recipe')} on {DataSource.of(dataset).name}, {budget}, "
        f"{count(seeds, 'seed')} each (0..{seeds - 1}); every recipe with its own tuned "
        "schedule (batch size, learning rates). Training time leaves evaluations out.",
        f"Scores: n = {eval_samples:,} samples of each run's final state against the test "
        "split, with ganforge's own evaluator (see the provenance); FID and KID are "
        "comparable at equal n only.",
        f"{len(runs) - failed} of {len(runs)} runs finished"
        + (f"; {failed} failed (see Failures)." if failed else "."),
    ]
    text = ReportText(
        title=f"ganforge compare: {', '.join(names)}",
        intro=intro,
        command=compare_command(names, out, options, data_dir),
    )
    return result, save_study(result, "results.csv", "results.json", record, text)
