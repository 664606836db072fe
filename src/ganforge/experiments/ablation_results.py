"""Running an ablation: its runs as a study (see :mod:`.study_run`), then its results:
``ablation.csv`` (a row per run), ``ablation.json`` (per rung: what it changes, each seed's
metrics, mean and sd), ``ablation.png`` (each rung's final grid) and the study's report."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.config import parse_assignments
from ganforge.data import DataSource
from ganforge.experiments.ablation import BASE, Rung, ladder, plan
from ganforge.experiments.study_report import first_finished, source_options
from ganforge.experiments.study_results import fid_label, final_grid
from ganforge.experiments.study_run import (
    ReportText,
    StudyResult,
    run_study,
    save_study,
    study_data,
    study_record,
)
from ganforge.reporting.ablation_figure import save_ablation_figure

TOPIC = {"tricks": "trick", "augment": "augmentation"}  # a ladder's rungs, in its title


def rung_results(rungs: list[Rung], arms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rung: its index, model settings and what it changes, then its arm's statistics
    (each seed's figures, mean and sd, failures)."""
    by_key = {arm["arm"]: arm for arm in arms}
    return [
        {
            "rung": rung.index,
            "name": rung.name,
            "folder": rung.folder,
            "model": rung.model,
            "diff_against": "recipe defaults" if rung.index == 1 else f"rung {rung.index - 1}",
            "diff": {k: {"from": a, "to": b} for k, (a, b) in rung.diff.items()},
            **{k: v for k, v in by_key[rung.folder].items() if k not in ("arm", "name")},
        }
        for rung in rungs
    ]


def rung_notes(rungs: list[Rung]) -> list[str]:
    """One line per rung for the report: what it changes."""
    return [
        f"{r.index}. {r.name}: "
        + (", ".join(f"{k} {a!r} → {b!r}" for k, (a, b) in r.diff.items()) or "as shipped")
        + (" (against the recipe's defaults)" if r.index == 1 else "")
        for r in rungs
    ]


@dataclass
class AblationResult:
    """What :func:`run_ablation` wrote, and the per-rung results behind the table."""

    out: Path
    rungs: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    figure: Path | None
    files: list[Path]
    failures: int


def run_ablation(
    recipe: str,
    out: Path,
    seeds: int = 1,
    epochs: int = 5,
    steps: int | None = None,
    dataset: str | DataSource = "mnist",
    data_dir: Path | None = None,
    eval_samples: int = 10_000,
    device: str = "auto",
    curve_samples: int = 0,
    say: Callable[[str], None] = lambda _: None,
    display: bool | None = None,
    kind: str = "tricks",
    settings: Sequence[str] = (),
    only: Sequence[str] = (),
) -> AblationResult:
    """Train, evaluate and report ladder ``kind``'s ablation of ``recipe`` into ``out``: runs
    in ``OUT/<rung>-<slug>/seed<k>/`` on ``dataset`` (a known one's name, or the user's own
    data's :class:`DataSource`) with ``settings`` (``--set``'s assignments), then
    ``ablation.csv``, ``.json``, ``.png``, ``report.html`` and ``report.md``. Finished runs
    and recorded evaluations are reused: rerunning an interrupted ablation continues it.
    ``only`` (``--rungs``) names the rungs to run, all of them if empty."""
    overrides = parse_assignments(list(settings))
    runs = plan(recipe, out, seeds, dataset, epochs, steps, device, kind, overrides, only)
    data = study_data(runs, data_dir)
    say(f"ablating {recipe}: {len(runs)} runs → {out} (rerun with this --out to continue)")
    result = run_study(
        runs, out, data_dir, eval_samples, device, say, display, "rung", curve_samples, data
    )
    rungs = ladder(recipe, kind, only)
    per_rung = rung_results(rungs, result.arms)
    schedule = {"epochs": epochs if steps is None else None, "steps": steps}
    schedule["seeds"] = list(range(seeds))
    record = {"kind": "ablation", "recipe": recipe, "ladder": kind, "set": list(settings)}
    record |= {"schedule": schedule, "base": BASE if kind == "tricks" else {}}
    record |= {"rungs": per_rung, **study_record(result)}
    budget = f"{steps} steps" if steps is not None else f"{epochs} epochs"
    failed = len(result.outcomes.failures)
    text = ReportText(
        title=f"ganforge ablate {recipe}: what each {TOPIC[kind]} buys",
        intro=[
            *ablation_intro(recipe, kind, dataset, budget, seeds, eval_samples),
            f"{len(runs) - failed} of {len(runs)} runs finished" + failures_note(failed),
        ],
        command=ablate_command(
            recipe, out, seeds, epochs, steps, dataset, data_dir, eval_samples, curve_samples
        )
        + ladder_options(kind, settings, only),
        notes=rung_notes(rungs),
    )
    files = save_study(result, "ablation.csv", "ablation.json", record, text)
    figure = ablation_figure(result, rungs, out / "ablation.png")
    return AblationResult(out, per_rung, result.rows, figure, files, failed)


def ladder_options(kind: str, settings: Sequence[str], only: Sequence[str] = ()) -> str:
    """``--ladder``, ``--rungs`` and ``--set`` as the report's command repeats them."""
    ladder = "" if kind == "tricks" else f" --ladder {kind}"
    ladder += f" --rungs {shlex.quote(','.join(only))}" if only else ""
    return ladder + "".join(f" --set {shlex.quote(s)}" for s in settings)


def failures_note(failed: int) -> str:
    """How the report's "runs finished" line ends."""
    return f"; {failed} failed (see Failures)." if failed else "."


def ablation_intro(
    recipe: str, kind: str, dataset: str | DataSource, budget: str, seeds: int, n: int
) -> list[str]:
    """The report's first lines: the ladder, the data, the budget and the scores' n."""
    what = (
        "each rung turns one group of tricks on at the recipe's defaults"
        if kind == "tricks"
        else "D's augmentation, none, DiffAugment and ADA, on the recipe as shipped"
    )
    return [
        f"The {recipe} {kind} ladder on {DataSource.of(dataset).name}: {what}; {budget} "
        f"per run, {seeds} seed{'s' * (seeds > 1)} per rung.",
        f"Scores: n = {n:,} samples of each run's final state against the test split (see "
        "the provenance).",
    ]


def ablate_command(
    recipe: str,
    out: Path,
    seeds: int,
    epochs: int,
    steps: int | None,
    dataset: str | DataSource,
    data_dir: Path | None,
    eval_samples: int,
    curve_samples: int,
) -> str:
    """The command line that redoes the ablation, for its report."""
    options = ["--steps", str(steps)] if steps is not None else ["--budget-epochs", str(epochs)]
    options += ["--seeds", str(seeds), "--eval-samples", str(eval_samples)]
    options += ["--curve-samples", str(curve_samples)]
    options += [part for option in source_options(dataset) for part in option.split("=", 1)]
    options += ["--data-dir", str(data_dir)] if data_dir is not None else []
    return shlex.join(["ganforge", "ablate", recipe, *options, "--out", str(out)])


def ablation_figure(result: StudyResult, rungs: list[Rung], path: Path) -> Path | None:
    """Each rung's final grid (of its first finished run) titled with its FID, into ``path``;
    None when no rung finished a run."""
    chosen = first_finished(result.runs, result.outcomes)
    panels = [
        (final_grid(chosen[rung.folder].dir), [f"{rung.index}. {rung.name}", fid_label(arm)])
        for rung, arm in zip(rungs, result.arms, strict=True)
        if rung.folder in chosen
    ]
    return save_ablation_figure(panels, path) if panels else None
