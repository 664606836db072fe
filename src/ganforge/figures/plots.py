"""Training-curve figures (losses and discriminator outputs) from the metrics CSV logs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganforge.rundir.atomic import atomic_path
from ganforge.rundir.metrics_log import read_csv_rows

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "D_OUTPUT_COLUMNS",
    "LOSS_COLUMNS",
    "is_loss_column",
    "plot_eval_curves",
    "plot_training_curves",
]

LOSS_COLUMNS: tuple[str, ...] = ("d_loss", "g_loss")
D_OUTPUT_COLUMNS: tuple[str, ...] = ("d_real", "d_fake")
_D_OUTPUT_LABELS = {"d_real": "D(x)", "d_fake": "D(G(z))"}
# ADA's augmentation probability and the overfitting measure it follows, in a third panel.
ADA_COLUMNS: tuple[str, ...] = ("ada_p", "ada_rt")
_ADA_LABELS = {"ada_p": "p (augmentation probability)", "ada_rt": "r_t = E[sign D(x)]"}
# Raw per-batch points get a moving average once there are this many of them.
_SMOOTH_FROM = 50


def is_loss_column(name: str) -> bool:
    """Columns drawn in the loss panel besides d_loss/g_loss: the penalties ``gp`` and
    ``r1``, and ``*_loss``."""
    return name in ("gp", "r1") or name.endswith("_loss")


def _columns(rows: list[dict[str, float]], x_key: str) -> dict[str, np.ndarray]:
    if not rows:
        return {}
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0] if k != x_key}


def _moving_average(y: np.ndarray, window: int) -> np.ndarray:
    # Trailing mean: value i averages points i-window+1..i, so the curve never runs ahead of
    # the data it summarises.
    return np.convolve(y, np.ones(window) / window, mode="valid")


def _plot_series(
    ax: Axes, x: np.ndarray, y: np.ndarray, label: str, colour: str, smooth: bool
) -> bool:
    finite = np.isfinite(x) & np.isfinite(y)  # a diverged step (inf/NaN) must not blank a plot
    x, y = x[finite], y[finite]
    if x.size == 0:
        return False
    if smooth and x.size >= _SMOOTH_FROM:
        window = max(5, x.size // 50)
        ax.plot(x, y, color=colour, alpha=0.25, linewidth=0.6)
        ax.plot(x[window - 1 :], _moving_average(y, window), color=colour, label=label)
    else:
        ax.plot(x, y, color=colour, label=label, marker="o", markersize=3, linewidth=1)
    return True


def _plot_panel(
    ax: Axes,
    x: np.ndarray,
    cols: dict[str, np.ndarray],
    names: Sequence[str],
    labels: dict[str, str],
    smooth: bool,
    ylabel: str,
) -> bool:
    drawn = False
    for i, name in enumerate(names):
        colour = f"C{i}"
        drawn |= _plot_series(ax, x, cols[name], labels.get(name, name), colour, smooth)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend(loc="best", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    return drawn


def _plot_file(csv_path: Path, x_key: str, out_path: Path, title: str, smooth: bool) -> bool:
    rows = read_csv_rows(csv_path)
    if not rows or x_key not in rows[0]:
        return False
    x = np.array([r[x_key] for r in rows], dtype=float)
    cols = _columns(rows, x_key)
    loss_names = [c for c in LOSS_COLUMNS if c in cols]
    loss_names += [c for c in cols if c not in LOSS_COLUMNS and is_loss_column(c)]
    d_names = [c for c in D_OUTPUT_COLUMNS if c in cols]
    if not loss_names and not d_names:
        return False

    # Imported here (not at module level) to keep `import ganforge.reporting` fast. The Figure
    # API renders through Agg without pyplot, so no global backend or figure state is touched.
    from matplotlib.figure import Figure

    ada_names = [c for c in ADA_COLUMNS if c in cols]
    panels = 3 if ada_names else 2
    fig = Figure(figsize=(8, 3.25 * panels), layout="constrained")
    loss_ax, d_ax, *ada_ax = fig.subplots(panels, 1, sharex=True)
    drawn = _plot_panel(loss_ax, x, cols, loss_names, {}, smooth, "loss")
    drawn |= _plot_panel(d_ax, x, cols, d_names, _D_OUTPUT_LABELS, smooth, "discriminator output")
    if ada_names:
        _plot_panel(ada_ax[0], x, cols, ada_names, _ADA_LABELS, smooth, "ADA")
    if not drawn:
        return False
    loss_ax.set_title(title)
    (ada_ax or [d_ax])[0].set_xlabel(x_key)
    with atomic_path(out_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return True


def plot_training_curves(batches_csv: Path, epochs_csv: Path, out_dir: Path) -> list[Path]:
    """Write ``loss_per_batch.png`` (x = ``step``) and ``loss_per_epoch.png`` (x = ``epoch``).

    Each figure has two panels: losses (``d_loss``, ``g_loss`` and any ``gp`` or ``*_loss``
    column) on top, discriminator outputs ``d_real`` = D(x) and ``d_fake`` = D(G(z)) below,
    and for an ADA run (``model.augment: ada``) a third panel of its p and r_t.
    Per-batch curves with many points are drawn faintly with a trailing moving average over
    them. A missing or empty CSV, or one without the x column or any known metric, is
    skipped; non-finite values are left out of the lines. Files are replaced atomically.

    Returns:
        The paths written, in the order batch, epoch (possibly empty).
    """
    out_dir = Path(out_dir)
    jobs = [
        (Path(batches_csv), "step", out_dir / "loss_per_batch.png", "per batch", True),
        (Path(epochs_csv), "epoch", out_dir / "loss_per_epoch.png", "per epoch", False),
    ]
    return [
        out
        for csv_path, x_key, out, title, smooth in jobs
        if _plot_file(csv_path, x_key, out, title, smooth)
    ]


def plot_eval_curves(eval_csv: Path, out_path: Path) -> Path | None:
    """``eval.png``: FID against epoch and against training seconds (top), recall and
    coverage against epoch (bottom), from ``metrics/eval.csv``. None when there is no row."""
    rows = read_csv_rows(eval_csv) if Path(eval_csv).exists() else []
    if not rows:
        return None
    from matplotlib.figure import Figure

    epoch = np.array([r["epoch"] for r in rows])
    fig = Figure(figsize=(8, 6.5), layout="constrained")
    (fid_ax, time_ax), (share_ax, _) = fig.subplots(2, 2, gridspec_kw={"width_ratios": [1, 1]})
    fid = np.array([r["fid"] for r in rows])
    fid_ax.plot(epoch, fid, marker="o")
    fid_ax.set(xlabel="epoch", ylabel="FID (lower is better)", title="FID per evaluation")
    time_ax.plot([r["time"] for r in rows], fid, marker="o")
    time_ax.set(xlabel="training seconds", ylabel="FID", title="FID against time")
    for key in ("recall", "coverage", "precision"):
        share_ax.plot(epoch, [r[key] for r in rows], marker="o", label=key)
    share_ax.set(xlabel="epoch", ylim=(0, 1.02), title="manifold metrics")
    share_ax.legend()
    fig.axes[3].set_visible(False)
    for ax in fig.axes[:3]:
        ax.grid(alpha=0.3)
    with atomic_path(Path(out_path)) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return Path(out_path)
