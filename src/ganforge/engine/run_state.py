"""A run's live state: the recipe and its optimizers, the batch stream, the step and the
training clock, the run directory (locked) with its logs and outputs; built with every check
first, saved to and restored from checkpoints. :class:`~ganforge.engine.trainer.Trainer`
trains it.
"""

from __future__ import annotations

import contextlib
import shlex
import time
from pathlib import Path
from typing import Any

import torch
import yaml

from ganforge.config import RunConfig
from ganforge.data import ImageData
from ganforge.data.batches import BatchStream, ImageTransform
from ganforge.engine.distributed import SINGLE, Distributed, sync_batch_norm
from ganforge.engine.divergence import DivergenceGuard, FiniteCheck, TrainingDiverged
from ganforge.engine.lr_decay import end_lr_decay
from ganforge.engine.memory import PeakMemory
from ganforge.engine.outputs import RunOutputs
from ganforge.engine.speed import compile_networks, resolve_precision
from ganforge.engine.step import stat_names
from ganforge.errors import ConfigError
from ganforge.rundir.atomic import write_text, writing
from ganforge.rundir.checkpoint import (
    EMA_STANDING_STATS,
    Checkpoint,
    cuda_index,
    has_standing_stats,
    recipe_modules,
    restore,
    restore_training_device_rng,
    save_checkpoint,
)
from ganforge.rundir.events import EventLog
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.lock import RunLock
from ganforge.rundir.log import RunLog
from ganforge.rundir.resume import check_new_run, check_not_complete, checkpoint_to_resume
from ganforge.rundir.trackers import Trackers, check_installed, open_trackers
from ganforge.setup.build import build_recipe, resolve_device, validate_config
from ganforge.setup.data import training_data


class RunState:
    """A run being trained in ``run_dir``; ``resume=True`` continues the run found there.

    From construction until :meth:`close`, it holds the run directory's lock: a second one on
    the same directory is refused. ``dist`` is this process's place among data-parallel
    processes under torchrun (see :func:`~ganforge.engine.distributed.process_group`); only
    rank 0 takes the lock and writes, the other processes train alongside and write nothing.
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
        self.trackers = Trackers()  # rank 0's experiment trackers (train.log_to)
        validate_config(cfg)
        created = not self.layout.root.exists()
        # First of all, so that two trainings never both check, then both write.
        self.lock = RunLock(self.layout.root).acquire() if dist.is_main else None
        try:
            self._setup(cfg, data, data_dir, resume, display)
        except BaseException:
            self.trackers.close()
            if self.lock is not None:
                self.lock.release()  # which deletes train.lock: a refused run leaves no trace
                if created:  # nor an empty folder (e.g. a typo in --out)
                    _remove_if_empty(self.layout.root)
            raise

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
        check_installed(cfg.train.log_to)  # a missing extra: one line, before any work
        if self.dist.is_main:
            self.layout.clear_partial_files()
        ckpt = checkpoint_to_resume(self.layout, cfg) if resume else check_new_run(self.layout)
        self._load_data(data, ckpt, resume)
        self._build()
        check_not_complete(
            self.layout, ckpt, self.total_steps, self.steps_per_epoch, cfg.train.time_limit
        )
        self._open_outputs(ckpt)
        self._start_from(ckpt)
        if self.dist.is_main:
            write_text(self.layout.config, yaml.safe_dump(cfg.to_dict(), sort_keys=False))
            self.trackers.on_start(cfg.to_dict(), resumed=ckpt is not None)

    def _load_data(self, data: ImageData | None, ckpt: Checkpoint | None, resume: bool) -> None:
        """The device and the training images, checked against the checkpoint and batch."""
        cfg = self.cfg
        self.device = self.dist.device or resolve_device(cfg.train.device)
        world = self.dist.world_size
        if cfg.train.batch_size % world:
            raise ConfigError(
                f"batch size {cfg.train.batch_size} is the global batch, which the {world} "
                f"processes split evenly; pass a multiple of {world}"
            )
        self.data, self.data_records = training_data(cfg, self.data_dir, resume, data)
        self.dist.check_same_data(self.data)
        if ckpt is not None and ckpt.meta.get("data_fingerprint") != self.data.fingerprint:
            raise ConfigError(
                f"the training data ({self.data.source}) is not the data {ckpt.path} was trained "
                f"on (fingerprints differ); pass the same {'--data' if cfg.data else '--data-dir'}"
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
        # Every process seeds alike: the same weights, one random stream (see per_sample_draw).
        torch.manual_seed(cfg.train.seed)
        self.recipe = build_recipe(cfg, self.data.num_classes, self.device, training=True)
        if self.dist.enabled and cfg.train.sync_bn:
            sync_batch_norm(self.recipe)
        self.opt_g, self.opt_d = self.recipe.make_optimizers()
        self.precision = resolve_precision(cfg.train.precision, self.device)
        if cfg.train.compile:
            compile_networks(self.recipe)
        if self.dist.enabled:
            self.recipe.distribute(self.dist.rank, self.dist.world_size, self.dist.wrap)
        self.finite = FiniteCheck(
            recipe_modules(self.recipe), self._optimizers(), self.recipe.device
        )
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

    def _open_outputs(self, ckpt: Checkpoint | None) -> None:
        """The run directory's folders, logs, event log and divergence guard (rank 0's: the
        other processes get no log, evaluation or event file, and judge the same rows)."""
        cfg = self.cfg
        self.stat_names = stat_names(self.recipe)
        self.log: RunLog | None = None
        self.outputs: RunOutputs | None = None
        self.eval = None
        if self.dist.is_main:
            with writing(self.layout.root):  # a full disk, an unwritable folder: one line
                self.layout.make()
            self.trackers = open_trackers(cfg.train.log_to, self.layout, self.stat_names)
            self.log = RunLog(self.layout, self.stat_names, self.steps_per_epoch, self.trackers)
            self.outputs = RunOutputs(
                self.layout, cfg, self.recipe, self.transform, self.log, self.data.class_names
            )
        if cfg.train.eval_every and self.dist.is_main:
            # Imported here: evaluation pulls in torchmetrics, which plain training never needs.
            from ganforge.engine.eval_hook import EvalHook

            self.eval = EvalHook.for_run(self.layout, cfg, self.data_dir)
        self.events = EventLog(self.layout.events if self.dist.is_main else None)
        self.guard = DivergenceGuard(
            cfg.train.on_diverge,
            cfg.train.d_wins_intervals,
            self.recipe.probability_outputs,
            self.events,
            rollbacks=int(ckpt.meta.get("rollbacks") or 0) if ckpt is not None else 0,
            d_wins_note=self.recipe.d_wins_note,
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
            self.elapsed = float(ckpt.meta.get("elapsed") or 0.0)  # null: absent
            self._load(ckpt)
        self.last_row: dict[str, float] = self.log.last_row if self.log is not None else {}
        self._steps_run = 0  # steps trained in this session, those redone after a rollback too
        self._session = (self.elapsed, time.perf_counter())
        self.memory = PeakMemory(self.device)  # this session's, evaluations left out
        self._earlier_peak = float(ckpt.meta.get("peak_memory_mib") or 0.0) if ckpt else 0.0
        self._peak_saved = (-1, 0.0)  # (step, peak memory) of the last checkpoint written

    def _load(self, ckpt: Checkpoint) -> Checkpoint:
        """Continue from ``ckpt`` (a resume or a rollback): weights, optimizer and RNG state,
        the step, the logs cut back to it, the evaluation's best so far."""
        restore(ckpt, modules=recipe_modules(self.recipe), optimizers=self._optimizers())
        if self.cfg.train.lr_decay_from >= 1.0:  # resumed with the decay switched off
            end_lr_decay(self._optimizers().values())
        if self.recipe.ema is not None:
            self.recipe.ema.stale = not has_standing_stats(ckpt)
        restore_training_device_rng(ckpt, self.device)
        self.step = ckpt.step
        if self.log is not None:
            self.log.start_at(self.step)
        if self.eval is not None:
            self.eval.restore(ckpt.meta, self.step)
        return ckpt

    def close(self) -> None:
        """Release the run directory (``run`` does this when it ends, however it ends)."""
        self._closed = True
        self.trackers.close()
        if self.lock is not None:
            self.lock.release()

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
        save_checkpoint(
            path,
            modules=recipe_modules(self.recipe, "save"),
            optimizers=self._optimizers(),
            meta=self._checkpoint_meta(peak),
        )

    def _checkpoint_meta(self, peak: float) -> dict[str, Any]:
        """What a checkpoint records beside the tensors: where the run is and how it got there."""
        return {
            "recipe": self.cfg.recipe,
            "step": self.step,
            "epoch": self.step / self.steps_per_epoch,
            "elapsed": self.elapsed,
            "peak_memory_mib": peak,
            "rollbacks": self.guard.rollbacks,
            "config": self.cfg.to_dict(),
            "num_classes": self.data.num_classes,
            "class_names": list(self.data.class_names),
            "data_fingerprint": self.data.fingerprint,
            "world_size": self.dist.world_size,  # for the record: any number resumes it
            "cuda_rng_device": cuda_index(self.device),  # whose CUDA RNG state is training's
            "ema_batch_norm": EMA_STANDING_STATS,
            **(self.eval.state() if self.eval is not None else {}),
        }

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

    def resume_command(self) -> str:
        """The command line that continues this run."""
        args = ["ganforge", "train", "--resume", "--out", str(self.layout.root)]
        if self.data_dir is not None:  # the default data would be refused as other data
            args += ["--data-dir", str(self.data_dir)]
        return shlex.join(args)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (or already gone): leave it
        folder.rmdir()
