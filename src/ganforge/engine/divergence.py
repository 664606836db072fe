"""Divergence guard: non-finite statistics, weights or optimizer state, a discriminator that
wins outright, and what ``--on-diverge stop|rollback`` does about them.

:class:`DivergenceGuard` decides; the trainer only acts on its answers (log these rows, show
this warning, reload the last checkpoint, or the :class:`TrainingDiverged` it raises).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from ganforge.engine.lr_decay import PEAK_LR
from ganforge.errors import GanforgeError
from ganforge.rundir.checkpoint import Checkpoint
from ganforge.rundir.events import EventLog

MAX_ROLLBACKS = 3  # a run that diverges a fourth time is not going to be saved by lower rates
ROLLBACK_LR_FACTOR = 0.5

# D "wins completely" when, averaged over a log interval, it gives real images more than
# 0.99 and fakes less than 0.01: its loss saturates and G's gradient carries almost nothing.
D_WINS_REAL = 0.99
D_WINS_FAKE = 0.01


class TrainingDiverged(GanforgeError):
    """A loss, a weight or an optimizer state became NaN or infinite and the run stopped; no
    checkpoint of that state is written."""


def non_finite(row: dict[str, float]) -> list[str]:
    """The names of ``row``'s NaN or infinite values."""
    return [k for k, v in row.items() if not math.isfinite(v)]


class FiniteCheck:
    """Whether every tensor a checkpoint would store, besides the RNG states, is finite.

    Losses are computed before each update, so the last update of a log interval can break
    the weights (or Adam's moments, e.g. an infinite ``exp_avg_sq`` while the weights are
    still finite) without any logged loss showing it; this check closes that gap.
    """

    def __init__(
        self,
        modules: dict[str, torch.nn.Module],
        optimizers: dict[str, torch.optim.Optimizer],
        device: torch.device,
    ) -> None:
        self.modules = modules
        self.optimizers = optimizers
        self.device = device

    @property
    def names(self) -> list[str]:
        return [*self.modules, *self.optimizers]

    def flags(self) -> Tensor:
        """One float per module and optimizer (1.0: all finite), left on the device.

        No host sync: the trainer reads these with the statistics, in their one transfer.
        """
        groups = [_module_tensors(m) for m in self.modules.values()]
        groups += [_optimizer_tensors(o) for o in self.optimizers.values()]
        return torch.stack([self._all_finite(g) for g in groups])

    def _all_finite(self, tensors: Iterable[Tensor]) -> Tensor:
        here, on_host = [], []
        for t in tensors:
            if t.is_floating_point():
                # Tensors on the CPU while training runs elsewhere (Adam's step counters) are
                # checked on the host, where reading them costs no device sync.
                cpu_aside = t.device.type == "cpu" and self.device.type != "cpu"
                (on_host if cpu_aside else here).append(t)
        if not all(bool(t.isfinite().all()) for t in on_host):
            return torch.zeros((), device=self.device)
        # Each tensor's minimum and maximum (one pass; NaN propagates, ±inf is an extreme)
        # instead of isfinite().all(), which costs several times more per element.
        extremes = [m for t in here if t.numel() for m in torch.aminmax(t.detach())]
        if not extremes:
            return torch.ones((), device=self.device)
        return torch.stack(extremes).isfinite().all().float()

    def describe(self, flags: Sequence[float]) -> str | None:
        """``"weights in generator; optimizer state in opt_d"`` for the flags that are not
        1.0, or None when everything is finite."""
        bad = {name for name, ok in zip(self.names, flags, strict=True) if ok != 1.0}
        weights = [n for n in self.modules if n in bad]
        state = [n for n in self.optimizers if n in bad]
        parts = [f"weights in {', '.join(weights)}"] if weights else []
        parts += [f"optimizer state in {', '.join(state)}"] if state else []
        return "; ".join(parts) or None

    def broken(self) -> str | None:
        """:meth:`describe` of the current state (a host sync: for checkpoints, not steps)."""
        return self.describe(self.flags().tolist())


def _module_tensors(module: torch.nn.Module) -> Iterator[Tensor]:
    yield from module.parameters()
    yield from module.buffers()


def _optimizer_tensors(opt: torch.optim.Optimizer) -> Iterator[Tensor]:
    for state in opt.state.values():
        yield from (v for v in state.values() if isinstance(v, Tensor))


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


def learning_rates(opt: torch.optim.Optimizer) -> list[float]:
    """The optimizer's learning rate, one per parameter group: the rate in use, or under
    ``train.lr_decay_from`` the peak that the decay scales."""
    return [float(group.get(PEAK_LR, group["lr"])) for group in opt.param_groups]


def lower_learning_rates(
    optimizers: Iterable[torch.optim.Optimizer], rates: Iterable[Sequence[float]]
) -> list[list[float]]:
    """Set each parameter group's rate to its ``rate × ROLLBACK_LR_FACTOR``; returns the new
    rates, per optimizer and group.

    ``rates`` are the rates in use when the run diverged, not the restored checkpoint's, so
    two rollbacks to the same checkpoint halve twice. Under a decay they are the peaks (see
    :func:`learning_rates`), and the peaks are what is lowered.
    """
    new = []
    for opt, group_rates in zip(optimizers, rates, strict=True):
        lowered = [rate * ROLLBACK_LR_FACTOR for rate in group_rates]
        for group, rate in zip(opt.param_groups, lowered, strict=True):
            group["lr"] = rate
            if PEAK_LR in group:
                group[PEAK_LR] = rate
        new.append(lowered)
    return new


@dataclass(frozen=True)
class Divergence:
    """Where a run diverged (``step``: the step whose statistics or update were bad) and
    what was not finite."""

    step: int
    what: str

    def __str__(self) -> str:
        return f"training diverged at step {self.step}: {self.what}"


@dataclass
class Verdict:
    """What one log interval means for the run."""

    rows: list[dict[str, float]]  # to log: all, or the finite ones before the first bad one
    divergence: Divergence | None = None
    warning: str | None = None  # to show (it is in events.log already)


class DivergenceGuard:
    """Watches each log interval and decides: log and go on, warn, roll back, or stop.

    Every warning, rollback and stop it decides on is written to ``events.log`` under the
    step it concerns; ``rollbacks`` is carried across resumes by the checkpoints.
    """

    def __init__(
        self,
        on_diverge: str,
        d_wins_intervals: int,
        watch_d_wins: bool,
        events: EventLog,
        rollbacks: int = 0,
        d_wins_note: str = "",
    ) -> None:
        self.d_wins_note = d_wins_note  # the recipe's word on D winning (Recipe.d_wins_note)
        self.on_diverge = on_diverge
        self.d_wins_intervals = d_wins_intervals
        self.watch_d_wins = watch_d_wins
        self.events = events
        self.rollbacks = rollbacks
        self.d_wins = DWinsDetector(d_wins_intervals)

    def check(self, rows: list[dict[str, float]], step: int, broken: str | None) -> Verdict:
        """One log interval: its rows (ending at ``step``) and :meth:`FiniteCheck.describe`
        of the state after it."""
        for i, row in enumerate(rows):
            bad = non_finite(row)
            if bad:  # the finite steps before it still happened
                return Verdict(
                    rows[:i], Divergence(int(row["step"]), f"non-finite {', '.join(bad)}")
                )
        if broken:  # finite losses, then an update that broke the checkpoint-to-be
            return Verdict(rows, Divergence(step, f"non-finite {broken}"))
        warning = self.d_wins.update(rows) if self.watch_d_wins else None
        if warning and self.d_wins_note:
            warning = f"{warning}. {self.d_wins_note}"
        if warning:
            self.events.write(step, warning)
        return Verdict(rows, warning=warning)

    def stop_unless_rollback(self, divergence: Divergence, last_checkpoint: Path) -> None:
        """Raise :class:`TrainingDiverged` unless ``--on-diverge rollback`` may go back to
        ``last_checkpoint`` once more; returns only when the caller must roll back."""
        if self.on_diverge == "rollback":
            if not last_checkpoint.exists():
                reason = (
                    "no checkpoint to roll back to yet (the first is written at the end of "
                    "epoch 1), so the run stops"
                )
            elif self.rollbacks >= MAX_ROLLBACKS:
                reason = f"giving up after {MAX_ROLLBACKS} rollbacks with lowered learning rates"
            else:
                return
        else:
            reason = "stopped (--on-diverge rollback retries from the last checkpoint instead)"
        good = (
            f"last good one: {last_checkpoint}" if last_checkpoint.exists() else "there is none yet"
        )
        text = f"{divergence}; {reason}; no checkpoint of this state was written ({good})"
        self.events.write(divergence.step, text)
        raise TrainingDiverged(text)

    def roll_back(
        self,
        divergence: Divergence,
        optimizers: dict[str, torch.optim.Optimizer],
        reload: Callable[[], Checkpoint],
    ) -> str:
        """Reload the last checkpoint with ``reload`` and halve every rate that was in use
        (under ``lr_decay_from``, the peaks the decay scales); returns the event's text
        (already in ``events.log``) for the progress display."""
        rates = [learning_rates(opt) for opt in optimizers.values()]  # reload overwrites them
        ckpt = reload()
        lowered = lower_learning_rates(optimizers.values(), rates)
        self.rollbacks += 1
        self.d_wins = DWinsDetector(self.d_wins_intervals)  # a streak of the abandoned steps
        names = [name.replace("opt_", "lr_", 1) for name in optimizers]
        halved = ", ".join(
            f"{name} {'/'.join(f'{r:.3g}' for r in group)}"
            for name, group in zip(names, lowered, strict=True)
        )
        decayed = any(PEAK_LR in g for opt in optimizers.values() for g in opt.param_groups)
        text = (
            f"{divergence}; rolled back to step {ckpt.step} ({ckpt.path}) with learning rates "
            f"halved to {halved}{' (the peaks of the decay)' if decayed else ''} "
            f"(rollback {self.rollbacks} of {MAX_ROLLBACKS})"
        )
        self.events.write(divergence.step, text)
        return text
