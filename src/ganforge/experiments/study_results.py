"""Scoring a study's runs with ``ganforge evaluate``'s measurement, and its results: one row
per run, per-arm means and spreads over seeds, CSV and JSON writers, each run's final grid.

Each run's metrics go to ``RUN/metrics.json``, as ``ganforge evaluate RUN`` writes them (with
the sampling speed added), and its FID curve to ``RUN/metrics/fid_curve.csv``; both are reused
on a rerun when they were taken at the same n (and seed, protocol) up to the same step.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganforge.errors import WriteError
from ganforge.evaluation.evaluate import (
    PROTOCOL,
    evaluate_images,
    evaluator_for,
    real_reference,
    sample_for_evaluation,
)
from ganforge.experiments.fid_curve import measure_curve, recorded_curve
from ganforge.experiments.study import Outcomes, StudyRun, arms, continue_study
from ganforge.generation import load_model
from ganforge.reporting.metric_format import format_mean_sd
from ganforge.rundir.atomic import atomic_path
from ganforge.rundir.layout import RunLayout
from ganforge.setup.data import data_source

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
# From each run's summary.json (fields of RunSummary): its size, time, speed and memory.
RUN_FACTS = ("params_g", "params_d", "wall_time_s", "images_per_s", "peak_memory_mib")
SAMPLING = "sampling_images_per_s"  # from the evaluation: images/s of drawing its samples
# What each run got: G steps, real images drawn (steps × batch × batches per step), epochs.
TRAINED = ("steps", "images", "epochs")
STATS = (*METRICS, *RUN_FACTS, SAMPLING, *TRAINED)  # what gets a mean and sd per arm
CSV_COLUMNS = (
    *("arm", "name", "seed", "status"),
    *METRICS,
    "n",
    *RUN_FACTS,
    SAMPLING,
    *TRAINED,
    *("run", "error"),
)


def recorded_metrics(run_dir: Path, n: int, steps: int) -> dict[str, Any] | None:
    """``RUN/metrics.json`` if it measured this run's final state (its step) with ``n``
    samples from seed 0 under this protocol; else None (absent, unreadable or other)."""
    try:
        result = json.loads(RunLayout(run_dir).metrics_json.read_text())
        source = result["source"]
        same = (result["n_fake"], result["protocol"], source["seed"], source["steps"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return result if same == (n, PROTOCOL, EVAL_SEED, steps) else None


def evaluate_run(
    run: StudyRun, steps: int, n: int, evaluator: Any, reference: Any, device: str
) -> dict[str, Any]:
    """Score ``n`` samples of the run's last checkpoint, timing how fast they were drawn."""
    model = load_model(run.dir, None, device)
    started = time.perf_counter()
    images, requested = sample_for_evaluation(model, n, EVAL_SEED)  # on the CPU: synced
    seconds = time.perf_counter() - started
    result = evaluate_images(images, requested, evaluator, reference)
    result[SAMPLING] = round(n / max(seconds, 1e-9), 1)
    result["source"] = {
        "run": str(run.dir),
        "checkpoint": str(model.checkpoint),
        "seed": EVAL_SEED,
        "recipe": run.cfg.recipe,
        "steps": steps,
        "device": device,
    }
    return result


def evaluate_runs(
    runs: list[StudyRun],
    outcomes: Outcomes,
    n: int,
    data_dir: Path | None,
    device: str = "cpu",
    say: Callable[[str], None] = lambda _: None,
    curve_samples: int = 0,
) -> Outcomes:
    """Every finished run's metrics on ``n`` samples of its last checkpoint, written to
    ``RUN/metrics.json`` and into ``outcomes``, and with ``curve_samples`` its FID curve (see
    :mod:`.fid_curve`); those recorded before are reused (see :func:`recorded_metrics`). A
    run whose evaluation fails is recorded as failed."""
    finished = [run for run in runs if run.dir in outcomes.summaries]
    scorer: tuple[Any, Any] | None = None  # (evaluator, reference), loaded when needed
    for i, run in enumerate(finished, start=1):
        steps = outcomes.summaries[run.dir].steps
        result = recorded_metrics(run.dir, n, steps)
        curve = recorded_curve(run.dir, curve_samples, steps) if curve_samples else []
        if result is not None and curve is not None:
            outcomes.metrics[run.dir] = result
            continue
        say(f"[{i}/{len(finished)}] evaluating {run.name} seed {run.seed} (n={n:,})")
        try:
            if scorer is None:
                real = data_source(run.cfg, data_dir)
                evaluator = evaluator_for(real)
                scorer = (evaluator, real_reference(evaluator, real))
            if result is None:
                result = evaluate_run(run, steps, n, *scorer, device)
                write_json(RunLayout(run.dir).metrics_json, result)
            if curve is None:
                measure_curve(run.dir, curve_samples, scorer[1], scorer[0], device)
        except WriteError as err:  # the runs after would fail alike
            raise continue_study(err) from err
        except Exception as err:  # any failure of one run: the others go on
            outcomes.fail(run, err, say)
            continue
        outcomes.metrics[run.dir] = result
    return outcomes


def run_rows(runs: list[StudyRun], outcomes: Outcomes, out: Path) -> list[dict[str, Any]]:
    """One row per run (the CSV's): arm, name, seed, status, metrics, n, size, time, speed,
    memory, and what it got (steps, images, epochs); a failed run's row holds its error and
    whatever was measured before it failed."""
    rows = []
    for run in runs:
        summary = outcomes.summaries.get(run.dir)
        result = outcomes.metrics.get(run.dir, {})
        error = outcomes.failures.get(run.dir)
        rows.append(
            {
                "arm": run.arm,
                "name": run.name,
                "seed": run.seed,
                "status": "failed" if error else "ok",
                **{k: result.get(k) for k in METRICS},
                "n": result.get("n_fake"),
                **{k: getattr(summary, k) if summary else None for k in RUN_FACTS},
                SAMPLING: result.get(SAMPLING),
                "steps": summary.steps if summary else None,
                "images": images_drawn(run, summary.steps) if summary else None,
                "epochs": summary.epochs if summary else None,
                "run": str(run.dir.relative_to(out)),
                "error": error,
            }
        )
    return rows


def images_drawn(run: StudyRun, steps: int) -> int:
    """The real images ``steps`` G steps of ``run`` drew: a batch per D update, or one for
    all of them (``model.d_steps_same_batch``)."""
    return steps * run.cfg.train.batch_size * run.cfg.model.batches_per_step


def mean_sd(values: list[Any]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation of the values that exist (sd needs two)."""
    xs = [float(v) for v in values if v is not None]
    mean = statistics.fmean(xs) if xs else None
    return mean, (statistics.stdev(xs) if len(xs) > 1 else None)


def arm_results(runs: list[StudyRun], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per arm: each seed's figures, their mean and sd over the runs that finished, and the
    failed seeds with their errors."""
    out = []
    for key, name in arms(runs):
        mine = [r for r in rows if r["arm"] == key]
        ok = [r for r in mine if r["status"] == "ok"]
        stats = {k: mean_sd([r.get(k) for r in ok]) for k in STATS}
        out.append(
            {
                "arm": key,
                "name": name,
                "seeds": {str(r["seed"]): {k: r.get(k) for k in STATS} for r in ok},
                "mean": {k: m for k, (m, _) in stats.items()},
                "sd": {k: s for k, (_, s) in stats.items()},
                "runs": len(mine),
                "finished": len(ok),
                "failed": {str(r["seed"]): r["error"] for r in mine if r["status"] != "ok"},
            }
        )
    return out


def final_grid(run_dir: Path) -> Path:
    """The run's last fixed-latent grid in ``samples/``. A run that ends inside its first
    epoch has two grids named epoch 0 (step 0's and the end's): the later file wins."""
    layout = RunLayout(run_dir)
    grids = sorted(
        layout.glob(layout.samples, "epoch_*.png"),
        key=lambda p: (layout.grid_epoch(p), p.stat().st_mtime_ns),
    )
    if not grids:
        raise FileNotFoundError(f"{layout.samples} holds no sample grid")
    return grids[-1]


def fid_label(result: dict[str, Any]) -> str:
    """``FID 12.34 ± 0.56 over 3 seeds`` (the spread with several seeds only), from an arm's
    result: a caption under one seed's grid must not read as that seed's own FID."""
    mean, sd = result["mean"]["fid"], result["sd"]["fid"]
    shown = format_mean_sd("fid", mean, sd)  # the tables' format: "—" when missing
    if " ± " not in shown:
        return f"FID {shown}"
    seeds = sum(1 for r in result.get("seeds", {}).values() if r.get("fid") is not None)
    return f"FID {shown}" + (f" over {seeds} seeds" if seeds > 1 else "")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """``payload`` as indented JSON, replacing ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2))


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """The runs' rows under :data:`CSV_COLUMNS` (a missing value is an empty cell)."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
