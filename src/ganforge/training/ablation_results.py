"""Scoring an ablation's runs with ``ganforge evaluate``'s measurement, and its results:
one CSV row per run, per-rung means and spreads in JSON, each rung's final sample grid.

Each run's metrics go to ``RUN/metrics.json``, as ``ganforge evaluate RUN`` writes them, and
are reused on a rerun when they were taken at the same n, seed, protocol and step.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.data import load_dataset
from ganforge.evaluation.evaluate import (
    PROTOCOL,
    evaluate_images,
    evaluator_for,
    real_reference,
    sample_for_evaluation,
)
from ganforge.generation import load_model
from ganforge.reporting._atomic import atomic_path
from ganforge.reporting.ablation_figure import save_ablation_figure
from ganforge.training.ablation import BASE, AblationRun, Rung, ladder, plan, train_all
from ganforge.training.run_dir import RunLayout
from ganforge.training.setup import resolve_device

EVAL_SEED = 0  # `ganforge evaluate`'s default latent seed: the same measurement as it takes
METRICS = (
    "fid",
    "kid_mean",
    "precision",
    "recall",
    "density",
    "coverage",
    "inception_score_mean",
    "classes_covered",
    "class_kl",
    "class_accuracy",
)
TIMING = ("images_per_s", "wall_time_s")
CSV_COLUMNS = ("rung", "name", "seed", *METRICS, "n", *TIMING, "steps", "run")


def recorded_metrics(run_dir: Path, n: int, steps: int) -> dict[str, Any] | None:
    """``RUN/metrics.json`` if it measured this run's final state (its step) with ``n``
    samples from seed 0 under this protocol; else None (absent, unreadable or other)."""
    try:
        result = json.loads((run_dir / "metrics.json").read_text())
        source = result["source"]
        same = (result["n_fake"], result["protocol"], source["seed"], source["steps"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return result if same == (n, PROTOCOL, EVAL_SEED, steps) else None


def evaluate_runs(
    runs: list[AblationRun],
    summaries: dict[Path, dict[str, Any]],
    n: int,
    data_dir: Path | None,
    device: str = "cpu",
    say: Callable[[str], None] = lambda _: None,
) -> dict[Path, dict[str, Any]]:
    """Every run's metrics on ``n`` samples of its last checkpoint, written to
    ``RUN/metrics.json``; those recorded before are reused (see :func:`recorded_metrics`)."""
    results: dict[Path, dict[str, Any]] = {}
    reference = None
    for run in runs:
        steps = int(summaries[run.dir]["steps"])
        result = recorded_metrics(run.dir, n, steps)
        if result is None:
            if reference is None:  # loaded only if something is left to score
                evaluator = evaluator_for(run.cfg.dataset, data_dir)
                reference = real_reference(evaluator, run.cfg.dataset, data_dir)
            say(f"evaluating {run.dir} (n={n:,})")
            model = load_model(run.dir, None, device)
            images, requested = sample_for_evaluation(model, n, EVAL_SEED)
            result = evaluate_images(images, requested, evaluator, reference)
            result["source"] = {
                "run": str(run.dir),
                "checkpoint": str(model.checkpoint),
                "seed": EVAL_SEED,
                "recipe": run.cfg.recipe,
                "steps": steps,
            }
            write_json(run.dir / "metrics.json", result)
        results[run.dir] = result
    return results


def run_rows(
    runs: list[AblationRun],
    summaries: dict[Path, dict[str, Any]],
    metrics: dict[Path, dict[str, Any]],
    out: Path,
) -> list[dict[str, Any]]:
    """One row per run (the CSV's): rung, name, seed, metrics, n, images/s, wall time."""
    rows = []
    for run in runs:
        summary, result = summaries[run.dir], metrics[run.dir]
        rows.append(
            {
                "rung": run.rung.index,
                "name": run.rung.name,
                "seed": run.seed,
                **{k: result.get(k) for k in METRICS},
                "n": result["n_fake"],
                **{k: summary.get(k) for k in TIMING},
                "steps": summary.get("steps"),
                "run": str(run.dir.relative_to(out)),
            }
        )
    return rows


def _mean_sd(values: list[Any]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation of the values that exist (sd needs two)."""
    xs = [float(v) for v in values if v is not None]
    mean = statistics.fmean(xs) if xs else None
    return mean, (statistics.stdev(xs) if len(xs) > 1 else None)


def rung_results(rungs: list[Rung], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rung: its model settings, what it changes, each seed's metrics, mean and sd."""
    out = []
    for rung in rungs:
        mine = [r for r in rows if r["rung"] == rung.index]
        keys = (*METRICS, *TIMING)
        stats = {k: _mean_sd([r[k] for r in mine]) for k in keys}
        out.append(
            {
                "rung": rung.index,
                "name": rung.name,
                "folder": rung.folder,
                "model": rung.model,
                "diff_against": "recipe defaults" if rung.index == 1 else f"rung {rung.index - 1}",
                "diff": {k: {"from": a, "to": b} for k, (a, b) in rung.diff.items()},
                "seeds": {str(r["seed"]): {k: r[k] for k in keys} for r in mine},
                "mean": {k: m for k, (m, _) in stats.items()},
                "sd": {k: s for k, (_, s) in stats.items()},
            }
        )
    return out


def final_grid(run_dir: Path) -> Path:
    """The run's last fixed-latent grid in ``samples/``. A run that ends inside its first
    epoch has two grids named epoch 0 (step 0's and the end's): the later file wins."""
    layout = RunLayout(run_dir)
    grids = sorted(
        layout.samples.glob("epoch_*.png"),
        key=lambda p: (layout.grid_epoch(p), p.stat().st_mtime_ns),
    )
    if not grids:
        raise FileNotFoundError(f"{layout.samples} holds no sample grid")
    return grids[-1]


def fid_label(result: dict[str, Any]) -> str:
    """``FID 12.34 ± 0.56`` (the ± with several seeds only), from a rung's result."""
    mean, sd = result["mean"]["fid"], result["sd"]["fid"]
    if mean is None:
        return "FID —"
    return f"FID {mean:.2f}" + (f" ± {sd:.2f}" if sd is not None else "")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """``payload`` as indented JSON, replacing ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2))


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """The runs' rows under :data:`CSV_COLUMNS` (a missing metric is an empty cell)."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)


@dataclass
class AblationResult:
    """What :func:`run_ablation` wrote, and the per-rung results behind the table."""

    out: Path
    rungs: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    figure: Path


def run_ablation(
    recipe: str,
    out: Path,
    seeds: int = 1,
    epochs: int = 5,
    steps: int | None = None,
    dataset: str = "mnist",
    data_dir: Path | None = None,
    eval_samples: int = 10_000,
    device: str = "auto",
    say: Callable[[str], None] = lambda _: None,
    display: bool | None = None,
) -> AblationResult:
    """Train, evaluate and report the ablation of ``recipe`` into ``out``: runs in
    ``OUT/<rung>-<slug>/seed<k>/``, then ``ablation.csv``, ``ablation.json`` and
    ``ablation.png``. Finished runs and recorded evaluations are reused, so rerunning an
    interrupted ablation continues it."""
    runs = plan(recipe, out, seeds, dataset, epochs, steps, device)  # every check first
    eval_device = str(resolve_device(device))
    say(f"ablating {recipe}: {len(runs)} runs → {out} (rerun with this --out to continue)")
    data = load_dataset(dataset, "train", data_dir)
    summaries = train_all(runs, data, data_dir, say, display)
    metrics = evaluate_runs(runs, summaries, eval_samples, data_dir, eval_device, say)
    rows = run_rows(runs, summaries, metrics, out)
    rungs = rung_results(ladder(recipe), rows)
    first = metrics[runs[0].dir]
    record = {
        "recipe": recipe,
        "dataset": dataset,
        "schedule": {
            "epochs": epochs if steps is None else None,
            "steps": steps,
            "seeds": list(range(seeds)),
        },
        "evaluation": {
            "n": eval_samples,
            "seed": EVAL_SEED,
            "protocol": first["protocol"],
            "evaluator": first["evaluator"],
        },
        "base": BASE,
        "rungs": rungs,
    }
    write_csv(out / "ablation.csv", rows)
    write_json(out / "ablation.json", record)
    panels = [
        (final_grid(run.dir), [f"{run.rung.index}. {run.rung.name}", fid_label(result)])
        for run, result in zip([r for r in runs if r.seed == 0], rungs, strict=True)
    ]
    figure = save_ablation_figure(panels, out / "ablation.png")
    return AblationResult(out, rungs, rows, figure)
