"""The training loop. It knows no recipe: it feeds batches, steps the optimizers, and writes
the run's outputs (grids, logs, plots, checkpoints, summary).

One *step* is one G update and the ``d_steps`` D updates before it, each D update on its own
real batch (or all on one, with ``d_steps_same_batch``); an *epoch* is one pass over the
training images, or with ``train.sampling`` "replacement" or "class" ``train.epoch_steps``
steps of randomly drawn batches. Statistics stay on the device and are read once per
``log_every`` steps, so the hot loop has no host-device syncs.

Under torchrun the same loop runs in every process (see :mod:`ganforge.engine.distributed`):
each trains on its slice of every global batch, DDP averages the gradients, the statistics
and decisions are agreed once per log interval, and rank 0 alone writes the outputs.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml
from torch import Tensor

from ganforge.config import RunConfig
from ganforge.config.layouts import DEFAULT_LAYOUT, plan_layout
from ganforge.data import ImageData, load_dataset
from ganforge.data.batches import BatchStream, ImageTransform
from ganforge.engine.distributed import SINGLE, AgreedStop, Distributed, sync_batch_norm
from ganforge.engine.divergence import (
    Divergence,
    DivergenceGuard,
    FiniteCheck,
    TrainingDiverged,
    learning_rates,
)
from ganforge.engine.interrupt import StopRequest, graceful_stop
from ganforge.engine.lr_decay import apply_lr_decay, end_lr_decay
from ganforge.engine.memory import PeakMemory
from ganforge.engine.speed import (
    autocast,
    compile_networks,
    resolve_precision,
    slow_bf16_warning,
)
from ganforge.errors import ConfigError, GanforgeError
from ganforge.figures.images import save_gif, save_grid
from ganforge.figures.plots import plot_eval_curves, plot_training_curves
from ganforge.generation import layout_samples
from ganforge.models.base import Recipe
from ganforge.progress import ProgressDisplay, format_stats
from ganforge.rundir.checkpoint import (
    EMA_STANDING_STATS,
    Checkpoint,
    has_standing_stats,
    load_checkpoint,
    restore,
    save_checkpoint,
)
from ganforge.rundir.events import EventLog
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.lock import LOCK_NAME, RunLock
from ganforge.rundir.log import RunLog, interval_rows
from ganforge.rundir.provenance import provenance
from ganforge.rundir.resume import check_new_run, checkpoint_to_resume
from ganforge.setup.build import build_recipe, resolve_device, validate_config

BASE_STATS = ("d_loss", "g_loss", "d_real", "d_fake")
FIXED_SAMPLES = 64
FIXED_SEED_OFFSET = 7919  # fixed latents get a seed apart from the training's own
# Loss plots are redrawn at an epoch's end once this many seconds have passed since the last
# drawing (and always at the run's end): two figures cost about a second of matplotlib, which
# epochs of a few seconds would otherwise spend mostly drawing.
PLOT_EVERY_S = 30.0


class TrainingInterrupted(GanforgeError):
    """Ctrl-C or SIGTERM: the step finished, a checkpoint was written, the run can resume."""


class RunComplete(GanforgeError):
    """``--resume`` on a run that has already trained as long as asked: nothing to do."""


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    epochs_done: float
    wall_time_s: float
    images_per_s: float
    final: dict[str, float]


def fixed_inputs(recipe: Recipe, seed: int) -> tuple[Tensor, Tensor | None, int]:
    """The fixed latent batch behind every sample grid: (z, labels, grid columns).

    Unconditional: 64 latents, 8×8. Conditional: one row per class, the same 8 latents in every
    row, so a column shows one "style" across classes.
    """
    g = torch.Generator().manual_seed(seed + FIXED_SEED_OFFSET)
    if not recipe.conditional:
        return recipe.sample_latent(FIXED_SAMPLES, generator=g), None, 8
    z = recipe.sample_latent(8, generator=g).repeat(recipe.num_classes, 1)
    labels = torch.arange(recipe.num_classes, device=recipe.device).repeat_interleave(8)
    return z, labels, 8


class Trainer:
    """Trains one run. ``resume=True`` continues the run found in ``run_dir``.

    From construction until :meth:`run` returns (or :meth:`close`), the trainer holds the run
    directory's lock: a second trainer on the same directory is refused.

    ``dist`` is this process's place among data-parallel processes under torchrun (see
    :func:`~ganforge.engine.distributed.process_group`); only rank 0 takes the lock and
    writes, the other processes train alongside and write nothing.
    """

    def __init__(
        self,
        cfg: RunConfig,
        run_dir: Path,
        data: ImageData | None = None,
        data_dir: Path | None = None,
        resume: bool = False,
        display: bool | None = None,
        dist: Distributed = SINGLE,
    ) -> None:
        self.layout = RunLayout(Path(run_dir))
        self.dist = dist
        self._closed = False
        validate_config(cfg)
        created = not self.layout.root.exists()
        # First of all, so that two trainings never both check, then both write.
        self.lock = RunLock(self.layout.root).acquire() if dist.is_main else None
        try:
            self._setup(cfg, data, data_dir, resume, display)
        except BaseException:
            if self.lock is not None:
                self.lock.release()  # which deletes train.lock: a refused run leaves no trace
                if created:  # nor an empty folder (e.g. a typo in --out)
                    _remove_if_empty(self.layout.root)
            raise

    # -- setup, once the run directory is locked ----------------------------------------------
    def _setup(
        self,
        cfg: RunConfig,
        data: ImageData | None,
        data_dir: Path | None,
        resume: bool,
        display: bool | None,
    ) -> None:
        """Every check first, then the run directory's outputs and the state to start from."""
        self.cfg, self.display, self.data_dir = cfg, display, data_dir
        if self.dist.is_main:
            self.layout.clear_partial_files()
        ckpt = checkpoint_to_resume(self.layout, cfg) if resume else check_new_run(self.layout)
        self._load_data(data, ckpt)
        self._build()
        self._check_not_complete(ckpt)
        self._open_outputs(ckpt)
        self._start_from(ckpt)
        if self.dist.is_main:
            self.layout.config.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))

    def _load_data(self, data: ImageData | None, ckpt: Checkpoint | None) -> None:
        """The device and the training images, checked against the checkpoint and batch."""
        cfg = self.cfg
        self.device = self.dist.device or resolve_device(cfg.train.device)
        world = self.dist.world_size
        if cfg.train.batch_size % world:
            raise ConfigError(
                f"batch size {cfg.train.batch_size} is the global batch, which the {world} "
                f"processes split evenly; pass a multiple of {world}"
            )
        self.data = data or load_dataset(cfg.dataset, "train", self.data_dir)
        if ckpt is not None and ckpt.meta.get("data_fingerprint") != self.data.fingerprint:
            raise ConfigError(
                f"the training data ({self.data.source}) is not the data {ckpt.path} was "
                "trained on (fingerprints differ); pass the same --data-dir"
            )
        n_images = self.data.images.shape[0]
        # Only a pass over the data needs that many images; random batches can repeat them.
        per_step = cfg.train.batch_size * cfg.model.batches_per_step
        if cfg.train.sampling == "shuffle" and per_step > n_images:
            raise ConfigError(
                f"batch size {cfg.train.batch_size} × d_steps {cfg.model.d_steps} is more than "
                f"the {n_images} training images; lower one of them"
            )

    def _build(self) -> None:
        """The recipe, its optimizers, the batch stream and the length of the run."""
        cfg = self.cfg
        # Every process seeds alike: the same initial weights, and one shared random stream
        # from which each takes its slice of every per-sample draw (Recipe.per_sample_draw).
        torch.manual_seed(cfg.train.seed)
        self.recipe = build_recipe(cfg, self.data.num_classes, self.device)
        if self.dist.enabled and cfg.train.sync_bn:
            sync_batch_norm(self.recipe)
        self.opt_g, self.opt_d = self.recipe.make_optimizers()
        self.precision = resolve_precision(cfg.train.precision, self.device)
        if cfg.train.compile:
            compile_networks(self.recipe)
        if self.dist.enabled:
            self.recipe.distribute(self.dist.rank, self.dist.world_size, self.dist.wrap)
        self.finite = FiniteCheck(self._networks(), self._optimizers(), self.recipe.device)
        self.transform = ImageTransform(cfg.model.data_range, cfg.model.resolution)
        self.stream = BatchStream(
            self.data.images.to(self.device),
            self.data.labels.to(self.device),
            cfg.train.batch_size,
            cfg.train.seed,
            self.transform,
            cfg.train.sampling,
            cfg.train.epoch_steps * cfg.model.batches_per_step,
            self.dist.rank,
            self.dist.world_size,
        )
        self.steps_per_epoch = self.stream.batches_per_epoch // cfg.model.batches_per_step
        self.total_steps = cfg.train.steps or cfg.train.epochs * self.steps_per_epoch
        self.fixed_z, self.fixed_labels, self.grid_cols = fixed_inputs(self.recipe, cfg.train.seed)

    def _check_not_complete(self, ckpt: Checkpoint | None) -> None:
        """Refuse to resume a finished run (all its steps, or its time limit, trained), unless
        a kill cut its final outputs short: then :meth:`run` trains nothing and only writes
        them."""
        if ckpt is None or self.layout.summary_step() < ckpt.step:  # the summary comes last
            return
        limit = self.cfg.train.time_limit
        if ckpt.step < self.total_steps and limit and ckpt.meta.get("elapsed", 0.0) >= limit:
            raise RunComplete(
                f"{self.layout.root} has trained its time limit of {limit:g} s; pass a larger "
                "--time-limit (or 0 for none) to train on"
            )
        if ckpt.step >= self.total_steps:
            raise RunComplete(
                f"{self.layout.root} is already at step {ckpt.step} "
                f"({ckpt.step / self.steps_per_epoch:g} epochs); pass a larger --epochs or "
                "--steps to train on"
            )

    def _open_outputs(self, ckpt: Checkpoint | None) -> None:
        """The run directory's folders, logs, event log and divergence guard (rank 0's: the
        other processes get no log, evaluation or event file, and judge the same rows)."""
        cfg = self.cfg
        self.stat_names = BASE_STATS + self.recipe.extra_stats
        self.log: RunLog | None = None
        self.eval = None
        if self.dist.is_main:
            self.layout.make()
            tb = None
            if cfg.train.tensorboard:
                from ganforge.rundir.tensorboard import TensorBoardLogger

                tb = TensorBoardLogger(self.layout.tensorboard)
            self.log = RunLog(self.layout, self.stat_names, self.steps_per_epoch, tb)
        if cfg.train.eval_every and self.dist.is_main:
            # Imported here: evaluation pulls in torchmetrics, which plain training never needs.
            from ganforge.engine.eval_hook import EvalHook

            self.eval = EvalHook(
                self.layout, cfg.dataset, self.data_dir, cfg.train.eval_samples, cfg.train.seed + 1
            )
        self.events = EventLog(self.layout.events if self.dist.is_main else None)
        self.guard = DivergenceGuard(
            cfg.train.on_diverge,
            cfg.train.d_wins_intervals,
            self.recipe.probability_outputs,
            self.events,
            rollbacks=int(ckpt.meta.get("rollbacks", 0)) if ckpt is not None else 0,
        )

    def _start_from(self, ckpt: Checkpoint | None) -> None:
        """The checkpoint's state, or a clean start."""
        self.step = 0
        self.elapsed = 0.0  # training seconds (evaluations excluded), carried across resumes
        if ckpt is None:
            if self.log is not None:
                self.layout.clear_grids()  # a crashed run's, which left no checkpoint
                self.log.start_at(0)
        else:
            self.elapsed = float(ckpt.meta.get("elapsed", 0.0))
            self._load(ckpt)
        self.last_row: dict[str, float] = self.log.last_row if self.log is not None else {}
        self._steps_run = 0  # steps trained in this session, those redone after a rollback too
        self._session = (self.elapsed, time.perf_counter())
        self._plotted_at = time.perf_counter()
        self.memory = PeakMemory(self.device)  # this session's, evaluations left out
        self._earlier_peak = float(ckpt.meta.get("peak_memory_mib", 0.0)) if ckpt else 0.0
        self._peak_saved = (-1, 0.0)  # (step, peak memory) of the last checkpoint written

    def _load(self, ckpt: Checkpoint) -> Checkpoint:
        """Continue from ``ckpt`` (a resume or a rollback): weights, optimizer and RNG state,
        the step, the logs cut back to it, the evaluation's best so far."""
        restore(
            ckpt,
            generator=self.recipe.generator,
            discriminator=self.recipe.discriminator,
            optimizers=self._optimizers(),
            extra_modules=self._extra_modules(),
        )
        if self.cfg.train.lr_decay_from >= 1.0:  # resumed with the decay switched off
            end_lr_decay(self._optimizers().values())
        if self.recipe.ema is not None:
            self.recipe.ema.stale = not has_standing_stats(ckpt)
        _restore_training_device_rng(ckpt, self.device)
        self.step = ckpt.step
        if self.log is not None:
            self.log.start_at(self.step)
        if self.eval is not None:
            self.eval.restore(ckpt.meta, self.step)
        return ckpt

    def close(self) -> None:
        """Release the run directory (``run`` does this when it ends, however it ends)."""
        self._closed = True
        if self.lock is not None:
            self.lock.release()

    # -- checkpoints ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Checkpoint the current state to ``path``; a non-finite weight or optimizer state is
        never written. Under torchrun rank 0 writes it, the one state of every process."""
        broken = self.finite.broken()
        if broken:  # unreachable after _flush's checks; kept so that no code path can write one
            raise TrainingDiverged(f"non-finite {broken} at step {self.step}; not writing {path}")
        if not self.dist.is_main:
            return
        peak = self.peak_memory_mib()
        self._peak_saved = (self.step, peak)
        meta = {
            "recipe": self.cfg.recipe,
            "step": self.step,
            "epoch": self.step / self.steps_per_epoch,
            "elapsed": self.elapsed,
            "peak_memory_mib": peak,
            "rollbacks": self.guard.rollbacks,
            "config": self.cfg.to_dict(),
            "num_classes": self.data.num_classes,
            "data_fingerprint": self.data.fingerprint,
            "world_size": self.dist.world_size,  # for the record: any number resumes it
            "cuda_rng_device": _cuda_index(self.device),  # whose CUDA RNG state is training's
            "ema_batch_norm": EMA_STANDING_STATS,
            **(self.eval.state() if self.eval is not None else {}),
        }
        save_checkpoint(
            path,
            generator=self.recipe.generator,
            discriminator=self.recipe.discriminator,
            optimizers=self._optimizers(),
            meta=meta,
            extra_modules=self._extra_modules(to_save=True),
        )

    def peak_memory_mib(self) -> float:
        """The run's peak memory in MiB: the largest of its sessions' (see
        :class:`PeakMemory`), evaluations left out. A session that trained nothing (it only
        wrote a killed run's final outputs) adds none."""
        if self._steps_run == 0 and self._earlier_peak:
            return self._earlier_peak
        return max(self._earlier_peak, self.memory.peak_mib())

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Both optimizers, by their names in a checkpoint."""
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}

    def _extra_modules(self, to_save: bool = False) -> dict[str, torch.nn.Module]:
        ema = self.recipe.ema
        if ema is None:
            return {}
        # a checkpoint holds the average with its batch-norm statistics recomputed
        return {"generator_ema": self.recipe.sampler if to_save else ema.model}

    def _networks(self) -> dict[str, torch.nn.Module]:
        """Every module a checkpoint stores, by its name there."""
        recipe = self.recipe
        return {
            "generator": recipe.generator,
            "discriminator": recipe.discriminator,
            **self._extra_modules(),
        }

    # -- one step ------------------------------------------------------------------------------
    def step_batches(self, batches: Iterator[tuple[Tensor, Tensor]]) -> list[tuple[Tensor, Tensor]]:
        """The real batches of one step, one per D update: drawn one each, or one batch for
        all of them (``model.d_steps_same_batch``)."""
        model = self.cfg.model
        drawn = [next(batches) for _ in range(model.batches_per_step)]
        return drawn * model.d_steps if model.batches_per_step == 1 else drawn

    def train_step(self, batches: list[tuple[Tensor, Tensor]]) -> Tensor:
        """``d_steps`` D updates (one per batch) then one G update; stats as one device vector."""
        recipe = self.recipe
        progress = self.progress()
        recipe.set_progress(progress)
        if self.cfg.train.lr_decay_from < 1.0:
            apply_lr_decay((self.opt_g, self.opt_d), progress, self.cfg.train.lr_decay_from)
        d_stats: dict[str, Tensor] = {}
        for real, labels in batches:
            with autocast(self.precision, self.device):
                loss, stats = recipe.discriminator_step_loss(real, labels)
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_d.step()
            for k, v in stats.items():
                d_stats[k] = d_stats[k] + v if k in d_stats else v
        n = len(batches)
        undo = recipe.freeze_discriminator()
        try:
            with autocast(self.precision, self.device):
                g_loss, g_stats = recipe.generator_step_loss(batches[0][0].shape[0])
            self.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            self.opt_g.step()
        finally:
            undo()
        recipe.after_generator_step(self.step)
        merged = {**{k: v / n for k, v in d_stats.items()}, **g_stats}
        return torch.stack([merged[k].float() for k in self.stat_names])

    def progress(self) -> float:
        """The fraction of training done, for annealed tricks: of the steps, or of
        ``train.time_limit`` where that is nearer its end, so that a run stopped by its time
        limit has annealed all the way too. The training clock is read once per log
        interval, so the time's share moves in steps of that size."""
        done = self.step / self.total_steps
        limit = self.cfg.train.time_limit
        return min(1.0, max(done, self.elapsed / limit)) if limit else done

    # -- outputs -------------------------------------------------------------------------------
    def write_samples(self) -> Path:
        """The fixed-latent grid of the current state, named by (possibly fractional) epoch
        (rank 0's to write under torchrun: the callers ask it alone)."""
        images = self.recipe.sample_images(self.fixed_z, self.fixed_labels)
        epoch = self.step / self.steps_per_epoch
        path = save_grid(
            images, self.layout.sample_grid(epoch), self.grid_cols, self.transform.bounds
        )
        if self.log.tb is not None:
            self.log.tb.image("samples", path, self.step)
        return path

    def write_final_figure(self) -> list[Path]:
        """The final figure(s) in ``train.grid_layout``, from latents of a fixed seed, so a
        rerun or a resume draws the same figure; figures of another layout (a resume may
        change it) are deleted. The default 8x8 writes none: the last grid is that figure."""
        name = self.cfg.train.grid_layout
        written: list[Path] = []
        if name != DEFAULT_LAYOUT:
            classes = self.data.class_names if self.recipe.conditional else None
            layout = plan_layout(name, classes)
            seed = self.cfg.train.seed + FIXED_SEED_OFFSET
            for page, images in layout_samples(self.recipe, layout, seed):
                path = self.layout.final_grid(page.suffix)
                bounds = self.transform.bounds
                written.append(save_grid(images, path, page.columns, bounds, page.title))
        for stale in set(self.layout.final_grids()) - set(written):
            stale.unlink(missing_ok=True)
        return written

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
        self.elapsed = self._session[0] + time.perf_counter() - self._session[1]
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

    # -- the loop ------------------------------------------------------------------------------
    def run(self, stop_at: int | None = None) -> TrainResult:
        """Train until ``total_steps``, writing every output; returns the run's figures.

        ``stop_at`` ends this session early at that step with a checkpoint, as Ctrl-C would;
        resuming then continues the same plan. Annealed schedules follow ``total_steps``, so
        extending a run with more epochs changes them from there on.
        """
        try:
            return self._run(stop_at)
        finally:
            self.close()

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

    def resume_command(self) -> str:
        """The command line that continues this run."""
        args = ["ganforge", "train", "--resume", "--out", str(self.layout.root)]
        if self.data_dir is not None:  # the default data would be refused as other data
            args += ["--data-dir", str(self.data_dir)]
        return shlex.join(args)

    def _result(self) -> TrainResult:
        return TrainResult(
            self.layout.root,
            self.step,
            self.step / self.steps_per_epoch,
            self.elapsed,
            self._images_per_s(),
            self.last_row,
        )

    def _images_per_s(self) -> float:
        """Real images consumed per second in this session, steps redone after a rollback
        included; a session that trained nothing (it only finished a run's outputs) gives the
        whole run's average instead."""
        per_step = self.cfg.train.batch_size * self.cfg.model.batches_per_step
        if self._steps_run == 0:
            return self.step * per_step / max(self.elapsed, 1e-9)
        return self._steps_run * per_step / max(self.elapsed - self._session[0], 1e-9)

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
            if len(pending) == self.cfg.train.log_every or self.step == end or stop.requested:
                if not self._flush(pending, first, then, bar, stop):
                    return False
                pending, first, then = [], self.step, self.elapsed
                epoch_now = self.step / self.steps_per_epoch
                limit = self.cfg.train.time_limit
                time_left = limit - self.elapsed if limit else None
                bar.update(self.step, epoch_now, self.last_row, self._images_per_s(), time_left)
            if stop.requested or self.out_of_time():
                return True
        return True

    def out_of_time(self) -> bool:
        """Whether ``train.time_limit`` (training seconds, evaluations excluded) has passed.
        The clock is read once per ``log_every`` steps (the loop's one host sync), so a run
        may overshoot the limit by up to that many steps."""
        limit = self.cfg.train.time_limit
        return bool(limit) and self.elapsed >= limit

    def _end_epoch(self, bar: ProgressDisplay) -> None:
        cfg, layout = self.cfg.train, self.layout
        epoch = self.step // self.steps_per_epoch
        last = self.step >= self.total_steps or self.out_of_time()  # the run's last epoch
        row: dict[str, float] = {}
        if self.log is not None:  # rank 0's outputs
            row = self.log.close_epoch(epoch, self.step, self.elapsed)
            # The grid first: a crash right after the checkpoint must not lose its grid.
            if cfg.grid_at(epoch) or last:
                self.write_samples()
            # _finish() draws the final plots.
            if not last and time.perf_counter() - self._plotted_at >= PLOT_EVERY_S:
                plot_training_curves(layout.batches_csv, layout.epochs_csv, layout.plots)
                self._plotted_at = time.perf_counter()
        best = False
        if cfg.eval_every and (epoch % cfg.eval_every == 0 or last):
            best = self._evaluate(bar, epoch)
        # last.safetensors last: a kill before it resumes from the previous one and redoes
        # this epoch, which writes the numbered and the best checkpoint again.
        if epoch % cfg.checkpoint_every == 0 or last:
            self.save(layout.epoch_checkpoint(epoch))
        if best:
            self.save(layout.checkpoints / "best.safetensors")
        self.save(layout.last_checkpoint)
        bar.message(f"epoch {epoch}: {format_stats(row)}")

    def _evaluate(self, bar: ProgressDisplay, epoch: int) -> bool:
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
            bar.message(
                f"epoch {epoch} evaluation (n={cfg.eval_samples}): FID {scores['fid']:.2f}, "
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

    def _finish(self) -> None:
        """The outputs drawn from the whole history or the final state: GIF, final figure,
        plots, summary (the last, so that its absence tells a resume that they are still to
        be written). Rank 0's alone under torchrun."""
        if not self.dist.is_main:
            return
        layout = self.layout
        # Before the outputs below, which are not training's; the figure of the checkpoint of
        # this step if there is one, so that a resume that only finishes a killed run's
        # outputs writes the same summary as an uninterrupted run.
        saved_step, saved_peak = self._peak_saved
        peak = saved_peak if saved_step == self.step else self.peak_memory_mib()
        grids = sorted(layout.samples.glob("epoch_*.png"), key=layout.grid_epoch)
        if grids:
            save_gif(grids, layout.gif)
        self.write_final_figure()
        plot_training_curves(layout.batches_csv, layout.epochs_csv, layout.plots)
        if self.eval is not None:
            plot_eval_curves(layout.metrics / "eval.csv", layout.plots / "eval.png")
        self._write_summary(peak)
        if self.log.tb is not None:
            self.log.tb.close()

    def _write_summary(self, peak_memory_mib: float) -> None:
        g, d = self.recipe.parameter_counts()
        summary = {
            "recipe": self.cfg.recipe,
            "dataset": self.cfg.dataset,
            "data_source": self.data.source,
            "data_fingerprint": self.data.fingerprint,
            "train_images": int(self.data.images.shape[0]),
            "params_g": g,
            "params_d": d,
            "steps": self.step,
            "epochs": self.step / self.steps_per_epoch,
            "wall_time_s": round(self.elapsed, 3),
            "images_per_s": round(self._images_per_s(), 1),
            "device": str(self.device),
            "processes": self.dist.world_size,  # data-parallel, under torchrun
            "precision": self.precision,
            "compiled": self.cfg.train.compile,
            # Over the run's sessions; evaluations and final outputs left out.
            "peak_memory_mib": round(peak_memory_mib, 1),
            "peak_memory_kind": self.memory.kind,
            "rollbacks": self.guard.rollbacks,
            # The config's, lowered by any rollback (under a decay: the peaks it scaled).
            "learning_rates": {k: learning_rates(o) for k, o in self._optimizers().items()},
            "final": self.last_row,
            **({"evaluation": self.eval.state()} if self.eval is not None else {}),
            "versions": provenance(),
        }
        tmp = self.layout.summary_tmp
        tmp.write_text(json.dumps(summary, indent=2))
        tmp.replace(self.layout.summary)


def _cuda_index(device: torch.device) -> int | None:
    """The index of the CUDA device training runs on, or None off CUDA."""
    if device.type != "cuda":
        return None
    return device.index if device.index is not None else torch.cuda.current_device()


def _restore_training_device_rng(ckpt: Checkpoint, device: torch.device) -> None:
    """Give the training device the RNG state of the device the checkpoint's run trained on.

    :func:`restore` sets each CUDA device's state from the same device's in the checkpoint;
    a run resumed on another GPU (or under torchrun, where process r trains on cuda:r but
    rank 0 saved cuda:0's) would otherwise draw from a state no training advanced.
    """
    saved = ckpt.meta.get("cuda_rng_device")
    index = _cuda_index(device)
    key = f"rng.cuda.{saved}"
    if index is not None and saved is not None and saved != index and key in ckpt.tensors:
        torch.cuda.set_rng_state(ckpt.tensors[key], index)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (or already gone): leave it
        folder.rmdir()


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
