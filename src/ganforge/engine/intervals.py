"""The steps of a run and the end of each log interval: the GAN step on the run's recipe, then
every ``log_every`` steps the pending statistics read (the loop's one host sync), agreed
across processes under torchrun, judged by the divergence guard and logged; a divergence
rolls the run back to its last checkpoint. The training clock is the host's
(``time.perf_counter``, no device sync): the time limit reads it after every step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import torch
from torch import Tensor

from ganforge.engine.distributed import AgreedStop
from ganforge.engine.divergence import Divergence
from ganforge.engine.interrupt import StopRequest
from ganforge.engine.run_state import RunState
from ganforge.engine.step import Batch, gan_step, step_batches, training_progress
from ganforge.progress import ProgressDisplay
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.log import interval_rows


class Intervals(RunState):
    """A :class:`RunState` that steps and closes log intervals; the loop is the trainer's."""

    def step_batches(self, batches: Iterator[Batch]) -> list[Batch]:
        """The real batches of one step (:func:`~ganforge.engine.step.step_batches`)."""
        return step_batches(batches, self.cfg.model)

    def train_step(self, batches: list[Batch]) -> Tensor:
        """One GAN step of the run's recipe and optimizers (:func:`.step.gan_step`)."""
        return gan_step(
            self.recipe,
            self.opt_d,
            self.opt_g,
            batches,
            step=self.step,
            progress=self.progress(),
            lr_decay_from=self.cfg.train.lr_decay_from,
            precision=self.precision,
        )

    def progress(self) -> float:
        """The fraction of training done, for annealed tricks (:func:`training_progress`).
        The training clock is read once per log interval, so the time's share moves in steps
        of that size."""
        return training_progress(
            self.step, self.total_steps, self.elapsed, self.cfg.train.time_limit
        )

    def training_clock(self) -> float:
        """Training seconds now: the run's earlier sessions, plus this session's host clock
        (no device sync) less its evaluations."""
        return self._session[0] + time.perf_counter() - self._session[1]

    def clock_past_limit(self) -> bool:
        """Whether the host clock, read after every step, says ``train.time_limit`` has
        passed, so that the step just taken ends the run (its interval closed early). Under
        torchrun every process must stop at the same step: there the limit is judged on the
        agreed clock of each log interval alone (:meth:`out_of_time`), so this is False."""
        limit = self.cfg.train.time_limit
        return bool(limit) and not self.dist.enabled and self.training_clock() >= limit

    def _images_per_s(self) -> float:
        """Real images consumed per second in this session, steps redone after a rollback
        included; a session that trained nothing (it only finished a run's outputs) gives the
        whole run's average instead."""
        per_step = self.cfg.train.batch_size * self.cfg.model.batches_per_step
        if self._steps_run == 0:
            return self.step * per_step / max(self.elapsed, 1e-9)
        return self._steps_run * per_step / max(self.elapsed - self._session[0], 1e-9)

    def _show(self, bar: ProgressDisplay) -> None:
        """The progress line at the end of an interval: the step (or, under a time limit that
        ends the run first, the training seconds), the last statistics, images/s, ETA."""
        epoch = self.step / self.steps_per_epoch
        bar.update(self.step, epoch, self.last_row, self._images_per_s(), self.elapsed)

    def _flush(
        self,
        pending: list[Tensor],
        first_step: int,
        then: float,
        bar: ProgressDisplay,
        stop: StopRequest,
    ) -> bool:
        """Read the pending steps' statistics and the state's finiteness flags (the one host
        sync), let the divergence guard judge them, and log them. Under torchrun they are
        first agreed across the processes (:meth:`_agree`), so every process judges the same.

        Returns False when the guard rolled the run back to its last checkpoint: the caller's
        batch iterator then belongs to the abandoned steps.
        """
        self.elapsed = self.training_clock()
        stats, flags = torch.stack(pending), self.finite.flags()
        if self.dist.enabled:
            stats, flags = self._agree(stats, flags, stop)
        values = torch.cat([stats.flatten(), flags]).cpu().tolist()
        n, k = stats.shape
        per_step = [values[i * k : (i + 1) * k] for i in range(n)]
        rows = interval_rows(
            self.stat_names, self.steps_per_epoch, per_step, first_step, then, self.elapsed
        )
        verdict = self.guard.check(rows, self.step, self.finite.describe(values[n * k :]))
        if self.log is not None:
            self.log.write(verdict.rows)
        if verdict.divergence is not None:
            self.guard.stop_unless_rollback(verdict.divergence, self.layout.last_checkpoint)
            self._roll_back(bar, verdict.divergence)
            return False
        self.last_row = rows[-1]
        if verdict.warning:
            bar.message(verdict.warning)
        return True

    def _agree(self, stats: Tensor, flags: Tensor, stop: StopRequest) -> tuple[Tensor, Tensor]:
        """One all-reduce per log interval: the statistics' means over the processes (each
        process's are means over its equal slice, so these are the global batch's), the
        finiteness flags (1.0 only where every process's is), whether a signal reached any
        process (``stop`` then holds for all), and the mean training clock (``self.elapsed``,
        which the time limit and annealing read, so every process sees the same)."""
        assert isinstance(stop, AgreedStop)
        world = self.dist.world_size
        clock = torch.tensor([float(stop.local.requested), self.elapsed], device=stats.device)
        total = self.dist.all_sum(torch.cat([stats.flatten(), flags, clock])).cpu()
        n, f = stats.numel(), flags.numel()
        stop.agree(bool(total[n + f] > 0))
        self.elapsed = float(total[n + f + 1]) / world
        return (total[:n] / world).view(stats.shape), total[n : n + f] / world

    def _roll_back(self, bar: ProgressDisplay, divergence: Divergence) -> None:
        """Back to the last checkpoint with halved learning rates, as the guard decided.

        Batches.csv and epochs.csv lose the abandoned steps' rows. The RNG state comes back
        too, so a rollback is reproducible: only the lower rates differ from the first try
        (and under a time limit, the training clock, which is not wound back, so the redone
        steps count as further on for annealing and ``lr_decay_from``).
        """
        text = self.guard.roll_back(
            divergence,
            self._optimizers(),
            lambda: self._load(load_checkpoint(self.layout.last_checkpoint)),
        )
        self.last_row = self.log.last_row if self.log is not None else {}
        bar.message(text)
        # Every process has read the checkpoint before rank 0 rewrites it below: one that
        # read the rewritten file would halve the rates it holds once more.
        self.dist.barrier()
        # At once, not at the next epoch's end: the lowered rates and the rollback count must
        # survive a kill, or a resume would retry at the rates that diverged.
        self.save(self.layout.last_checkpoint)

    def _report(self, bar: ProgressDisplay, text: str) -> None:
        """A warning: on the progress display and in ``events.log``."""
        bar.message(text)
        self.events.write(self.step, text)
