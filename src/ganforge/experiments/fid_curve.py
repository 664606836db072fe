"""A finished run's FID curve, measured afterwards from its checkpoints: FID of a fixed sample
of each numbered epoch checkpoint and of the last, against its epoch and training seconds
(both in the checkpoint's metadata).

FID only, on fewer samples than the final evaluation: the curves compare runs with each other
(at equal n), and FID alone costs a fraction of the whole metric set (KID's 100 subsets
dominate that), so a study can afford a point per epoch. Training runs unaffected: nothing
is evaluated while they train. Written to ``RUN/metrics/fid_curve.csv`` and reused while the
run and n are the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganforge.errors import ConfigError
from ganforge.evaluation.evaluate import RealReference, sample_for_evaluation
from ganforge.evaluation.metrics import fid
from ganforge.generation import load_model
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.metrics_log import CsvLog, read_csv_rows

CURVE_SAMPLES = 2000  # samples per point by default: ``ganforge train --eval-samples``'s
MAX_POINTS = 20  # epoch checkpoints measured at most (evenly spread), besides the last
COLUMNS = ("epoch", "step", "time", "fid", "n")
CURVE_SEED = 0  # latent seed of every point: the same latents along the curve


def check_curve_samples(samples: int) -> None:
    """0 (no curves) or at least the 100 samples an FID needs here."""
    if samples != 0 and samples < 100:
        raise ConfigError(f"--curve-samples must be 0 (no curves) or at least 100, got {samples}")


def curve_path(run_dir: Path) -> Path:
    return RunLayout(run_dir).fid_curve_csv


def curve_checkpoints(run_dir: Path) -> list[Path]:
    """The epoch checkpoints (at most :data:`MAX_POINTS`, evenly spread, the latest kept) and
    the last checkpoint, in training order."""
    layout = RunLayout(run_dir)
    epochs = layout.epoch_checkpoints()
    if len(epochs) > MAX_POINTS:
        stride = len(epochs) / MAX_POINTS
        epochs = [epochs[len(epochs) - 1 - int(i * stride)] for i in range(MAX_POINTS)][::-1]
    return [*epochs, layout.last_checkpoint]


def recorded_curve(run_dir: Path, n: int, steps: int) -> list[dict[str, float]] | None:
    """The run's recorded curve if it was measured at ``n`` samples up to its last ``steps``;
    else None."""
    rows = read_csv_rows(curve_path(run_dir))
    if not rows or any(r["n"] != n for r in rows) or rows[-1]["step"] != steps:
        return None
    return rows


def measure_curve(
    run_dir: Path, n: int, reference: RealReference, evaluator: Any, device: str = "cpu"
) -> list[dict[str, float]]:
    """FID at every curve checkpoint (see :func:`curve_checkpoints`) on ``n`` samples from
    latent seed 0, written to ``RUN/metrics/fid_curve.csv``; its rows."""
    rows: list[dict[str, float]] = []
    seen: set[int] = set()
    for path in curve_checkpoints(run_dir):
        meta = load_checkpoint(path).meta
        step = int(meta["step"])
        if step in seen:  # the last checkpoint is often the last epoch's too
            continue
        seen.add(step)
        model = load_model(run_dir, path, device)
        images, _ = sample_for_evaluation(model, n, CURVE_SEED)
        features, _ = evaluator.embed(images)
        value = fid(reference.features, features)
        rows.append(
            {
                "epoch": float(meta.get("epoch", 0.0)),
                "step": step,
                "time": float(meta.get("elapsed", 0.0)),
                "fid": value,
                "n": n,
            }
        )
    path = curve_path(run_dir)
    path.unlink(missing_ok=True)  # a curve at another n or of a shorter run
    CsvLog(path, COLUMNS).write_rows(rows)
    return rows
