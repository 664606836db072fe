"""Divergence guard: non-finite statistics, a discriminator that wins outright, and the
learning-rate cut of a rollback.

What to do about a non-finite loss is the trainer's (``--on-diverge stop|rollback``); this
module only decides what counts as a problem and how a rollback changes the optimizers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

ON_DIVERGE = ("stop", "rollback")
MAX_ROLLBACKS = 3  # a run that diverges a fourth time is not going to be saved by lower rates
ROLLBACK_LR_FACTOR = 0.5

# D "wins completely" when, averaged over a log interval, it gives real images more than
# 0.99 and fakes less than 0.01: its loss saturates and G's gradient carries almost nothing.
D_WINS_REAL = 0.99
D_WINS_FAKE = 0.01


def non_finite(row: dict[str, float]) -> list[str]:
    """The names of ``row``'s NaN or infinite values."""
    return [k for k, v in row.items() if not math.isfinite(v)]


def non_finite_weights(modules: dict[str, torch.nn.Module]) -> list[str]:
    """The names of the modules with a NaN or infinite parameter or buffer.

    Losses are computed before each update, so the very last update before a checkpoint could
    break the weights without any logged loss showing it; this check closes that gap.
    """
    bad = []
    for name, module in modules.items():
        tensors = [t for t in (*module.parameters(), *module.buffers()) if t.is_floating_point()]
        if tensors and not bool(torch.stack([t.isfinite().all() for t in tensors]).all()):
            bad.append(name)
    return bad


class DWinsDetector:
    """Reports once per streak when D wins completely for ``intervals`` log intervals in a row.

    Only meaningful for recipes whose D(x) and D(G(z)) are probabilities (``Recipe.
    probability_outputs``); a Wasserstein critic's raw scores have no such bounds.
    """

    def __init__(self, intervals: int) -> None:
        self.intervals = intervals
        self.streak = 0
        self.first_step = 0

    def update(self, rows: list[dict[str, float]]) -> str | None:
        """Feed one log interval's rows; returns the warning when a streak reaches K."""
        if not rows:
            return None
        d_real = sum(r["d_real"] for r in rows) / len(rows)
        d_fake = sum(r["d_fake"] for r in rows) / len(rows)
        if not (d_real > D_WINS_REAL and d_fake < D_WINS_FAKE):
            self.streak = 0
            return None
        if self.streak == 0:
            self.first_step = int(rows[0]["step"])
        self.streak += 1
        if self.streak != self.intervals:  # once per streak: at K, not at K+1, K+2, ...
            return None
        return (
            f"warning: D wins completely: D(x) {d_real:.3f}, D(G(z)) {d_fake:.3f} for "
            f"{self.intervals} log intervals (steps {self.first_step}-{int(rows[-1]['step'])}); "
            "G learns little from here; consider a lower lr_d, label smoothing or input noise"
        )


def lower_learning_rates(
    optimizers: Iterable[torch.optim.Optimizer], rates: Iterable[float]
) -> list[float]:
    """Set each optimizer's rate to ``rate × ROLLBACK_LR_FACTOR``; returns the new rates.

    ``rates`` are the rates in use when the run diverged, not the restored checkpoint's, so
    two rollbacks to the same checkpoint halve twice.
    """
    new = []
    for opt, rate in zip(optimizers, rates, strict=True):
        lowered = rate * ROLLBACK_LR_FACTOR
        for group in opt.param_groups:
            group["lr"] = lowered
        new.append(lowered)
    return new


def learning_rate(opt: torch.optim.Optimizer) -> float:
    """The optimizer's (first group's) current learning rate."""
    return float(opt.param_groups[0]["lr"])
