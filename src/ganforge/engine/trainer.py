"""The training loop. It knows no recipe: it feeds batches to the GAN step
(:mod:`ganforge.engine.step`), reads the statistics once per log interval, lets the divergence
guard judge them, and writes the run's outputs, checkpoints and summary at epoch ends and on
step intervals (:mod:`ganforge.engine.milestones`). A time limit ends the run at the step that
reaches it: the host clock is read after every step.

An *epoch* is one pass over the training images, or with ``train.sampling`` "replacement" or
"class" ``train.epoch_steps`` steps of randomly drawn batches. Statistics stay on the device
and are read once per ``log_every`` steps, so the hot loop has no host-device syncs.

Under torchrun the same loop runs in every process (see :mod:`ganforge.engine.distributed`):
each trains on its slice of every global batch, DDP averages the gradients, the statistics
and decisions are agreed once per log interval, and rank 0 alone writes the outputs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torch import Tensor

from ganforge.config import RunConfig
from ganforge.data import ImageData
from ganforge.engine.distributed import AgreedStop
from ganforge.engine.divergence import learning_rates
from ganforge.engine.interrupt import StopRequest, graceful_stop
from ganforge.engine.milestones import Milestones
from ganforge.engine.outputs import FIXED_SEED_OFFSET, fixed_inputs
from ganforge.engine.speed import slow_bf16_warning
from ganforge.errors import GanforgeError, WriteError
from ganforge.progress import ProgressDisplay
from ganforge.rundir.lock import LOCK_NAME
from ganforge.rundir.provenance import provenance
from ganforge.rundir.resume import RunComplete
from ganforge.rundir.summary import RunSummary, write_summary

__all__ = [
    "FIXED_SEED_OFFSET",
    "RunComplete",
    "TrainResult",
    "Trainer",
    "TrainingInterrupted",
    "fixed_inputs",
    "train",
]


class TrainingInterrupted(GanforgeError):
    """Ctrl-C or SIGTERM: the step finished, a checkpoint was written, the run can resume."""


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    epochs_done: float
    wall_time_s: float
    images_per_s: float
    final: dict[str, float]


# Writes the run's generator as a shareable model folder: (run directory, new folder) → None.
# The layer above the engine passes one (ganforge.generation.export_model); the engine exports
# nothing itself.
ModelExporter = Callable[[Path, Path], object]


class Trainer(Milestones):
    """Trains one run (:class:`RunState` holds it, :class:`Intervals` steps it and closes its
    log intervals, :class:`Milestones` writes its outputs on their intervals); :meth:`run`
    trains it to its end."""

    def write_final_figure(self) -> list[Path]:
        """The final figure(s) in ``train.grid_layout`` (:meth:`RunOutputs.final_figure`)."""
        return self.outputs.final_figure()

    def run(self, stop_at: int | None = None, exporter: ModelExporter | None = None) -> TrainResult:
        """Train until ``total_steps``, writing every output; returns the run's figures.

        ``stop_at`` ends this session early at that step with a checkpoint, as Ctrl-C would;
        resuming then continues the same plan. Annealed schedules follow ``total_steps``, so
        extending a run with more epochs changes them from there on. ``exporter`` writes the
        model that trackers keeping one (MLflow) log as the run ends.
        """
        self._exporter = exporter
        # The step of checkpoints/last.safetensors, which a resume continues from (see save).
        self._resumable = self.step if self.layout.last_checkpoint.exists() else None
        try:
            return self._run(stop_at)
        except WriteError as err:  # a full disk, an unwritable folder: how to go on from here
            raise err.advise(self._how_to_go_on(err)) from err
        finally:
            self.close()

    def save(self, path: Path) -> None:
        """Checkpoint the current state to ``path`` (see :meth:`RunState.save`), keeping
        track of the step that ``last.safetensors`` holds."""
        super().save(path)
        if path == self.layout.last_checkpoint:
            self._resumable = self.step

    def _how_to_go_on(self, err: WriteError) -> str:
        """After a failed write: resume from the last checkpoint (whose step it says), or with
        none written yet, start again."""
        if self._resumable is None:
            return f"{err.remedy()}, then run the same command again (no checkpoint yet)"
        return (
            f"{err.remedy()}, then resume from the last checkpoint (step {self._resumable}, "
            f"intact) with `{self.resume_command()}`"
        )

    def _run(self, stop_at: int | None) -> TrainResult:
        layout = self.layout
        if self._closed:  # everything below writes into the run directory
            raise RuntimeError(
                f"this Trainer was closed: it no longer holds {layout.root / LOCK_NAME}"
            )
        if self.step >= self.total_steps:  # a kill cut the final outputs short: only those
            self._finish()
            return self._result()
        if self.step == 0 and self.dist.is_main:
            self.write_samples()
        self.recipe.train()
        end = self.total_steps if stop_at is None else min(stop_at, self.total_steps)
        bar = ProgressDisplay(
            self.total_steps,
            self.step,
            self.cfg.recipe,
            interactive=self.display,
            quiet=not self.dist.is_main,
            time_limit=self.cfg.train.time_limit,
        )
        with bar, graceful_stop() as signals:
            # Under torchrun a signal to one process stops all of them, at the same step.
            stop = AgreedStop(signals) if self.dist.enabled else signals
            warning = slow_bf16_warning(self.precision, self.device)
            if warning:
                self._report(bar, warning)
            while self.step < end and not stop.requested and not self.out_of_time():
                # After a rollback the step is back at a checkpoint, whose epoch is closed.
                if self._run_epoch_part(bar, end, stop) and self.step % self.steps_per_epoch == 0:
                    self._end_epoch(bar)
            if self.step % self.steps_per_epoch != 0:  # stopped inside an epoch
                last = self.step == self.total_steps or self.out_of_time()
                if last and self.dist.is_main:  # the run's last grid
                    self.write_samples()  # first, as in _end_epoch
                self.save(layout.last_checkpoint)
            if self.out_of_time() and self.step < self.total_steps:
                limit = self.cfg.train.time_limit
                self._report(bar, f"time limit of {limit:g} s reached at step {self.step}")
        self._finish()
        if stop.requested:
            raise TrainingInterrupted(
                f"{stop.signal_name} at step {self.step}: checkpoint saved; resume with "
                f"`{self.resume_command()}`"
            )
        return self._result()

    def _result(self) -> TrainResult:
        return TrainResult(
            self.layout.root,
            self.step,
            self.step / self.steps_per_epoch,
            self.elapsed,
            self._images_per_s(),
            self.last_row,
        )

    def _run_epoch_part(self, bar: ProgressDisplay, stop_step: int, stop: StopRequest) -> bool:
        """Train from the current step to the end of its epoch, ``stop_step`` or a stop request.

        Returns False if a divergence rolled the run back to its last checkpoint.
        """
        epoch = self.step // self.steps_per_epoch
        end = min((epoch + 1) * self.steps_per_epoch, stop_step)
        per_step = self.cfg.model.batches_per_step
        batches = self.stream.epoch(epoch, (self.step % self.steps_per_epoch) * per_step)
        pending: list[Tensor] = []
        first, then = self.step, self.elapsed
        while self.step < end:
            pending.append(self.train_step(self.step_batches(batches)))
            self.step += 1
            self._steps_run += 1
            due = bool(self.step_every) and self.step_due()  # a step interval's outputs
            full = len(pending) == self.cfg.train.log_every or self.step == end
            # The host clock past the time limit closes the interval here, and the run ends.
            if full or stop.requested or due or self.clock_past_limit():
                if not self._flush(pending, first, then, bar, stop):
                    return False
                pending, first, then = [], self.step, self.elapsed
                self._show(bar)
                if due and self.step % self.steps_per_epoch:  # an epoch's end: _end_epoch's
                    self._at_step(bar)
            if stop.requested or self.out_of_time():
                return True
        return True

    def out_of_time(self) -> bool:
        """Whether ``train.time_limit`` (training seconds, evaluations excluded) has passed,
        on the clock of the last closed interval. One process closes its interval at the step
        whose end passes the limit (:meth:`clock_past_limit`), so a run ends within a step
        of it; under torchrun the processes agree once per ``log_every`` steps, so there a
        run may overshoot by up to that many steps."""
        limit = self.cfg.train.time_limit
        return bool(limit) and self.elapsed >= limit

    def _finish(self) -> None:
        """The outputs drawn from the whole history or the final state: GIF, final figure,
        plots, summary (the last, so that its absence tells a resume that they are still to
        be written). Rank 0's alone under torchrun."""
        if not self.dist.is_main:
            return
        # Before the outputs below, which are not training's; the figure of the checkpoint of
        # this step if there is one, so that a resume that only finishes a killed run's
        # outputs writes the same summary as an uninterrupted run.
        saved_step, saved_peak = self._peak_saved
        peak = saved_peak if saved_step == self.step else self.peak_memory_mib()
        self.outputs.finish(evaluated=self.eval is not None)
        summary = self._write_summary(peak)
        self._share_model()
        self.trackers.on_end(summary.to_dict())

    def _share_model(self) -> None:
        """The run's generator, exported by :meth:`run`'s ``exporter`` into a temporary folder,
        handed to the trackers that keep a model (MLflow logs it as artifacts)."""
        if self._exporter is None or not self.trackers.wants_model:
            return
        with tempfile.TemporaryDirectory(prefix="ganforge-model-") as tmp:
            folder = Path(tmp) / "model"
            self._exporter(self.layout.root, folder)
            self.trackers.on_model(folder)

    def _write_summary(self, peak_memory_mib: float) -> RunSummary:
        g, d = self.recipe.parameter_counts()
        summary = RunSummary(
            recipe=self.cfg.recipe,
            dataset=self.cfg.dataset,
            data_source=self.data.source,
            data_fingerprint=self.data.fingerprint,
            **self.data_records,  # data_split, data_subset
            train_images=int(self.data.images.shape[0]),
            params_g=g,
            params_d=d,
            steps=self.step,
            epochs=self.step / self.steps_per_epoch,
            wall_time_s=round(self.elapsed, 3),
            images_per_s=round(self._images_per_s(), 1),
            device=str(self.device),
            processes=self.dist.world_size,  # data-parallel, under torchrun
            precision=self.precision,
            compiled=self.cfg.train.compile,
            # Over the run's sessions; evaluations and final outputs left out.
            peak_memory_mib=round(peak_memory_mib, 1),
            peak_memory_kind=self.memory.kind,
            rollbacks=self.guard.rollbacks,
            # The config's, lowered by any rollback (under a decay: the peaks it scaled).
            learning_rates={k: learning_rates(o) for k, o in self._optimizers().items()},
            final=self.last_row,
            evaluation=self.eval.state() if self.eval is not None else None,
            versions=provenance(),
        )
        write_summary(self.layout, summary)
        return summary


def train(
    cfg: RunConfig,
    run_dir: Path,
    data: ImageData | None = None,
    data_dir: Path | None = None,
    resume: bool = False,
    display: bool | None = None,
) -> TrainResult:
    """Train (or resume) a run and write all its outputs into ``run_dir``."""
    return Trainer(cfg, run_dir, data, data_dir, resume, display).run()
