"""A study's charts: FID against epoch and against training seconds with every arm on one
chart, and each arm's losses per batch and per epoch side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ganforge.figures.plots import LOSS_COLUMNS, _plot_series, is_loss_column
from ganforge.rundir.atomic import atomic_path
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.metrics_log import read_csv_rows

__all__ = ["plot_fid_curves", "plot_loss_panels"]


def _save(fig: object, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)  # type: ignore[attr-defined]
    return path


def plot_fid_curves(curves: Mapping[str, Sequence[Path]], path: Path) -> Path | None:
    """FID against epoch (left) and against training seconds (right): one colour per arm,
    one line per seed (its ``metrics/eval.csv``). None when no run has an evaluation row."""
    series = {
        name: [rows for rows in (read_csv_rows(p) for p in paths if p.exists()) if rows]
        for name, paths in curves.items()
    }
    if not any(series.values()):
        return None
    from matplotlib.figure import Figure  # imported here: matplotlib is slow to import

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    by_epoch, by_time = fig.subplots(1, 2, sharey=True)
    for i, (name, runs) in enumerate(series.items()):
        for k, rows in enumerate(runs):
            label = name if k == 0 else None  # one legend entry per arm
            fid = np.array([r["fid"] for r in rows])
            for ax, x_key in ((by_epoch, "epoch"), (by_time, "time")):
                x = np.array([r[x_key] for r in rows])
                ax.plot(x, fid, color=f"C{i}", marker="o", markersize=3, label=label, alpha=0.8)
    by_epoch.set(xlabel="epoch", ylabel="FID (lower is better)", title="FID against epoch")
    by_time.set(xlabel="training seconds", title="FID against training time")
    for ax in (by_epoch, by_time):
        ax.grid(alpha=0.3)
    by_time.legend(fontsize="small")
    return _save(fig, path)


def plot_loss_panels(runs: Mapping[str, Path], path: Path) -> Path | None:
    """One row per arm (``runs`` maps its name to one run directory): its losses per batch
    (left, smoothed) and per epoch (right), from ``metrics/batches.csv`` and ``epochs.csv``.
    Arms' losses differ in scale (a critic's are not a BCE's), so each row has its own axis.
    None when there is no arm."""
    if not runs:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 2.3 * len(runs) + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(runs), 2, squeeze=False))
    for row, (name, run_dir) in zip(axes, runs.items(), strict=True):
        layout = RunLayout(run_dir)
        for ax, (csv_path, x_key, smooth) in zip(
            row,
            ((layout.batches_csv, "step", True), (layout.epochs_csv, "epoch", False)),
            strict=True,
        ):
            rows = read_csv_rows(csv_path)
            drawn = False
            if rows and x_key in rows[0]:
                x = np.array([r[x_key] for r in rows])
                names = [c for c in LOSS_COLUMNS if c in rows[0]]
                names += [c for c in rows[0] if c not in LOSS_COLUMNS and is_loss_column(c)]
                for j, column in enumerate(names):
                    y = np.array([r[column] for r in rows])
                    drawn |= _plot_series(ax, x, y, column, f"C{j}", smooth)
            if drawn:
                ax.legend(fontsize="x-small", loc="best")
            else:
                ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            ax.set_xlabel(x_key)
            ax.grid(alpha=0.3)
        row[0].set_ylabel(name)
    axes[0][0].set_title("losses per batch")
    axes[0][1].set_title("losses per epoch")
    return _save(fig, path)
