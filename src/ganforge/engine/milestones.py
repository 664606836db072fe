"""What a run writes at an epoch's end and at the steps of a step interval: its sample grid,
evaluation, numbered and last checkpoints, each on its interval (``train.sample_every``,
``eval_every``, ``checkpoint_every``: epochs, or steps as ``"500steps"``, see
:mod:`ganforge.config.every`).

A step interval's grid is named by its fractional epoch (``epoch_0000.534.png``) and joins
the GIF; its checkpoint is a numbered one named alike, and becomes ``last.safetensors`` too,
so a kill resumes from it; its evaluation is a row of ``eval.csv``. The order is the epoch
end's: grid, evaluation, numbered checkpoint, best, last.
"""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path

from ganforge.config.every import EVERY_FIELDS, epoch_decimals, step_intervals
from ganforge.engine.intervals import Intervals
from ganforge.progress import ProgressDisplay, format_stats


class Milestones(Intervals):
    """An :class:`Intervals` that writes its outputs on their intervals; the loop calls
    :meth:`_end_epoch` at each epoch's end and :meth:`_at_step` at a step interval's steps
    inside an epoch (its log interval flushed first, see :meth:`step_due`)."""

    @cached_property
    def step_every(self) -> tuple[int, ...]:
        """The counts of the intervals given in steps (none by default)."""
        return step_intervals([getattr(self.cfg.train, name) for name in EVERY_FIELDS])

    @cached_property
    def epoch_decimals(self) -> int:
        """Decimals of a fractional epoch in file names (:func:`epoch_decimals`)."""
        return epoch_decimals(self.steps_per_epoch, bool(self.step_every))

    def step_due(self) -> bool:
        """Whether the current step is on a step interval (the loop's per-step check)."""
        return any(self.step % n == 0 for n in self.step_every)

    def _due(self, name: str) -> bool:
        """Whether the current step is on interval ``name``."""
        return self.cfg.train.every(name).due(self.step, self.steps_per_epoch)

    def write_samples(self) -> Path:
        """The fixed-latent grid of the current state, named by (possibly fractional) epoch
        (rank 0's to write under torchrun: the callers ask it alone)."""
        epoch = self.step / self.steps_per_epoch
        return self.outputs.grid(epoch, self.step, self.epoch_decimals)

    def _end_epoch(self, bar: ProgressDisplay) -> None:
        cfg, layout = self.cfg.train, self.layout
        epoch = self.step // self.steps_per_epoch
        last = self.step >= self.total_steps or self.out_of_time()  # the run's last epoch
        row: dict[str, float] = {}
        if self.log is not None:  # rank 0's outputs
            row = self.log.close_epoch(epoch, self.step, self.elapsed)
            # The grid first: a crash right after the checkpoint must not lose its grid.
            if cfg.grid_at(epoch) or self._due("sample_every") or last:
                self.write_samples()
            if not last:  # _finish() draws the final plots
                self.outputs.plots()
        best = False
        if cfg.eval_every and (self._due("eval_every") or last):
            best = self._evaluate(bar, epoch)
        # last.safetensors last: a kill before it resumes from the previous one and redoes
        # this epoch, which writes the numbered and the best checkpoint again.
        if self._due("checkpoint_every") or last:
            self.save(layout.epoch_checkpoint(epoch))
        if best:
            self.save(layout.best_checkpoint)
        self.save(layout.last_checkpoint)
        bar.message(f"epoch {epoch}: {format_stats(row)}")

    def _at_step(self, bar: ProgressDisplay) -> None:
        """A step inside an epoch on a step interval: what is due of the grid, the evaluation
        and the checkpoints, in :meth:`_end_epoch`'s order."""
        cfg, layout = self.cfg.train, self.layout
        epoch = self.step / self.steps_per_epoch
        if self.log is not None and self._due("sample_every"):
            self.write_samples()
            self.outputs.plots()  # at most every PLOT_EVERY_S seconds
        best = bool(cfg.eval_every) and self._due("eval_every") and self._evaluate(bar, epoch)
        checkpoint = self._due("checkpoint_every")
        if checkpoint:
            self.save(layout.epoch_checkpoint(epoch, self.epoch_decimals))
        if best:
            self.save(layout.best_checkpoint)
        if checkpoint:  # a kill from here on resumes at this step
            self.save(layout.last_checkpoint)

    def _evaluate(self, bar: ProgressDisplay, epoch: float) -> bool:
        """Evaluate the current state; whether its FID is the best so far.

        Under torchrun rank 0 evaluates while the others wait at a barrier (the process
        group's timeout must outlast an evaluation); every process then leaves the time out of
        its training clock. Training seconds leave evaluations out, so that the times of runs
        evaluated at different rates (or not at all) compare, time-to-quality included.
        """
        cfg = self.cfg.train
        started = time.perf_counter()
        best = False
        if self.eval is not None:
            self.memory.pause()  # an evaluation's memory is not training's either
            scores, best = self.eval(self.recipe, self.transform, epoch, self.step, self.elapsed)
            self.memory.resume()
            self.trackers.on_eval(self.step, scores)
            when = round(epoch, self.epoch_decimals)
            bar.message(
                f"epoch {when:g} evaluation (n={cfg.eval_samples}): FID {scores['fid']:.2f}, "
                f"recall {scores['recall']:.3f}, classes {scores['classes_covered']:.0f}"
                + ("  (best so far)" if best else "")
            )
            from ganforge.engine.eval_hook import collapse_warning  # loaded with EvalHook

            warning = collapse_warning(scores, self.data.num_classes)
            if warning:
                self._report(bar, warning)
        self.dist.barrier()
        self._session = (self._session[0], self._session[1] + time.perf_counter() - started)
        return best
