"""The training loop. It knows no recipe: it feeds batches, steps the optimizers, and writes
the run's outputs (grids, logs, plots, checkpoints, summary).

One *step* is one G update and the ``d_steps`` D updates before it, each D update on its own
real batch; an *epoch* is one pass over the training images. Statistics stay on the device
and are read once per ``log_every`` steps, so the hot loop has no host-device syncs.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import Tensor

from ganforge.config import RunConfig
from ganforge.data import ImageData, load_dataset
from ganforge.data.batches import BatchStream, ImageTransform
from ganforge.errors import ConfigError, GanforgeError
from ganforge.models.base import Recipe, frozen
from ganforge.reporting import plot_eval_curves, plot_training_curves, save_gif, save_grid
from ganforge.training.checkpoint import Checkpoint, load_checkpoint, restore, save_checkpoint
from ganforge.training.divergence import (
    MAX_ROLLBACKS,
    DWinsDetector,
    learning_rate,
    lower_learning_rates,
    non_finite,
    non_finite_weights,
)
from ganforge.training.event_log import EventLog
from ganforge.training.interrupt import StopRequest, graceful_stop
from ganforge.training.progress import ProgressDisplay, format_stats
from ganforge.training.provenance import provenance
from ganforge.training.run_dir import RunLayout
from ganforge.training.run_lock import RunLock
from ganforge.training.run_log import RunLog
from ganforge.training.setup import build_recipe, resolve_device

BASE_STATS = ("d_loss", "g_loss", "d_real", "d_fake")
FIXED_SAMPLES = 64


class TrainingDiverged(GanforgeError):
    """A loss (or a weight) became NaN or infinite and the run stopped; no checkpoint of that
    state is written."""


class TrainingInterrupted(GanforgeError):
    """Ctrl-C or SIGTERM: the step finished, a checkpoint was written, the run can resume."""


class RunComplete(GanforgeError):
    """``--resume`` on a run that has already trained as long as asked: nothing to do."""


# Settings a resumed run may change; any other difference would change what the saved step
# means (batch size, d_steps, data order) or what the weights are (the model config).
RESUMABLE = (
    "epochs",
    "steps",
    "device",
    "sample_every",
    "checkpoint_every",
    "log_every",
    "tensorboard",
    "eval_every",
    "eval_samples",
    "on_diverge",
    "d_wins_intervals",
)


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
    g = torch.Generator().manual_seed(seed + 7919)
    if not recipe.conditional:
        return recipe.sample_latent(FIXED_SAMPLES, generator=g), None, 8
    z = recipe.sample_latent(8, generator=g).repeat(recipe.num_classes, 1)
    labels = torch.arange(recipe.num_classes, device=recipe.device).repeat_interleave(8)
    return z, labels, 8


class Trainer:
    """Trains one run. ``resume=True`` continues the run found in ``run_dir``.

    From construction until :meth:`run` returns (or :meth:`close`), the trainer holds the run
    directory's lock: a second trainer on the same directory is refused.
    """

    def __init__(
        self,
        cfg: RunConfig,
        run_dir: Path,
        data: ImageData | None = None,
        data_dir: Path | None = None,
        resume: bool = False,
        display: bool | None = None,
    ) -> None:
        self.layout = RunLayout(Path(run_dir))
        cfg.validate()
        created = not self.layout.root.exists()
        # First of all, so that two trainings never both check, then both write.
        self.lock = RunLock(self.layout.root).acquire()
        try:
            self._setup(cfg, data, data_dir, resume, display)
        except BaseException:
            if created:  # a refused run leaves no empty folder behind (e.g. a typo in --out)
                self.lock.path.unlink(missing_ok=True)  # while held: no one else can own it
            self.lock.release()
            if created:
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
        """Everything ``__init__`` does once the run directory is locked."""
        self._clear_partial_checkpoints()
        ckpt = self._checkpoint_to_resume(cfg) if resume else None
        if not resume and self.layout.last_checkpoint.exists():
            raise GanforgeError(
                f"{self.layout.root} already holds a run; pass --resume to continue it "
                "or choose another --out"
            )
        self.cfg = cfg
        self.display = display
        self.device = resolve_device(cfg.train.device)
        self.data = data or load_dataset(cfg.dataset, "train", data_dir)
        self.eval = None
        if cfg.train.eval_every:
            # Imported here: evaluation pulls in torchmetrics, which plain training never needs.
            from ganforge.training.eval_hook import EvalHook

            self.eval = EvalHook(
                self.layout, cfg.dataset, data_dir, cfg.train.eval_samples, cfg.train.seed + 1
            )
        if ckpt is not None and ckpt.meta.get("data_fingerprint") != self.data.fingerprint:
            raise ConfigError(
                f"the training data ({self.data.source}) is not the data {ckpt.path} was "
                "trained on (fingerprints differ); pass the same --data-dir"
            )
        n_images = self.data.images.shape[0]
        if cfg.train.batch_size * cfg.model.d_steps > n_images:
            raise ConfigError(
                f"batch size {cfg.train.batch_size} × d_steps {cfg.model.d_steps} is more than "
                f"the {n_images} training images; lower one of them"
            )
        torch.manual_seed(cfg.train.seed)
        self.recipe = build_recipe(cfg, self.data.num_classes, self.device)
        self.opt_g, self.opt_d = self.recipe.make_optimizers()
        self.transform = ImageTransform(cfg.model.data_range, cfg.model.resolution)
        self.stream = BatchStream(
            self.data.images.to(self.device),
            self.data.labels.to(self.device),
            cfg.train.batch_size,
            cfg.train.seed,
            self.transform,
        )
        self.steps_per_epoch = self.stream.batches_per_epoch // cfg.model.d_steps
        self.total_steps = cfg.train.steps or cfg.train.epochs * self.steps_per_epoch
        if ckpt is not None and ckpt.step >= self.total_steps:
            raise RunComplete(
                f"{self.layout.root} is already at step {ckpt.step} "
                f"({ckpt.step / self.steps_per_epoch:g} epochs); pass a larger --epochs or "
                "--steps to train on"
            )
        self.step = 0
        self.elapsed = 0.0  # training seconds, carried across resumes
        self.rollbacks = 0  # --on-diverge rollback: how many so far, carried across resumes
        self.events = EventLog(self.layout.events)
        self.d_wins = DWinsDetector(cfg.train.d_wins_intervals)
        self.fixed_z, self.fixed_labels, self.grid_cols = fixed_inputs(self.recipe, cfg.train.seed)
        self.layout.make()
        tb = None
        if cfg.train.tensorboard:
            from ganforge.reporting import TensorBoardLogger

            tb = TensorBoardLogger(self.layout.tensorboard)
        stat_names = BASE_STATS + self.recipe.extra_stats
        self.log = RunLog(self.layout, stat_names, self.steps_per_epoch, tb)
        if ckpt is not None:
            restore(
                ckpt,
                generator=self.recipe.generator,
                discriminator=self.recipe.discriminator,
                optimizers={"opt_g": self.opt_g, "opt_d": self.opt_d},
                extra_modules=self._extra_modules(),
            )
            self.step = ckpt.step
            self.elapsed = float(ckpt.meta.get("elapsed", 0.0))
            self.rollbacks = int(ckpt.meta.get("rollbacks", 0))
            if self.eval is not None:
                self.eval.restore(ckpt.meta, self.step)
        else:
            self._clear_leftovers()
        self.log.start_at(self.step)
        self.last_row: dict[str, float] = {}
        self._session = (self.step, self.elapsed, time.perf_counter())
        self.layout.config.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))

    def _checkpoint_to_resume(self, cfg: RunConfig) -> Checkpoint:
        """The run's last checkpoint, if ``cfg`` may continue it; else a one-line error."""
        if not self.layout.last_checkpoint.exists():
            raise GanforgeError(f"nothing to resume: {self.layout.last_checkpoint} does not exist")
        ckpt = load_checkpoint(self.layout.last_checkpoint)
        if ckpt.recipe != cfg.recipe:
            raise GanforgeError(
                f"{ckpt.path} is a {ckpt.recipe!r} checkpoint; cannot resume it as {cfg.recipe!r}"
            )
        saved, now = flatten(ckpt.config), flatten(cfg.to_dict())
        for key in sorted(saved.keys() | now.keys()):
            if key.split(".")[-1] in RESUMABLE and key.startswith("train."):
                continue
            if saved.get(key) != now.get(key):
                raise ConfigError(
                    f"cannot change {key} when resuming (the run used {saved.get(key)!r}, "
                    f"got {now.get(key)!r}); start a new run with another --out instead"
                )
        return ckpt

    def _clear_partial_checkpoints(self) -> None:
        """Temporary checkpoint files of a killed writer: never complete, and with the lock
        held no other process can be writing them."""
        if self.layout.checkpoints.is_dir():
            for tmp in self.layout.checkpoints.glob(".*.tmp-*"):
                tmp.unlink(missing_ok=True)

    def close(self) -> None:
        """Release the run directory (``run`` does this when it ends, however it ends)."""
        self.lock.release()

    def _clear_leftovers(self) -> None:
        """A fresh run in a folder a crashed run left without a checkpoint: drop its files."""
        for path in (*self.layout.samples.glob("epoch_*.png"), self.layout.gif):
            path.unlink(missing_ok=True)

    # -- checkpoints ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Checkpoint the current state to ``path``; a non-finite weight is never written."""
        bad = non_finite_weights(self._networks())
        if bad:  # unreachable after _flush's checks; kept so that no code path can write one
            raise TrainingDiverged(
                f"non-finite weights in {', '.join(bad)} at step {self.step}; not writing {path}"
            )
        meta = {
            "recipe": self.cfg.recipe,
            "step": self.step,
            "epoch": self.step / self.steps_per_epoch,
            "elapsed": self.elapsed,
            "rollbacks": self.rollbacks,
            "config": self.cfg.to_dict(),
            "num_classes": self.data.num_classes,
            "data_fingerprint": self.data.fingerprint,
            **(self.eval.state() if self.eval is not None else {}),
        }
        save_checkpoint(
            path,
            generator=self.recipe.generator,
            discriminator=self.recipe.discriminator,
            optimizers={"opt_g": self.opt_g, "opt_d": self.opt_d},
            meta=meta,
            extra_modules=self._extra_modules(),
        )

    def _extra_modules(self) -> dict[str, torch.nn.Module]:
        ema = self.recipe.ema
        return {} if ema is None else {"generator_ema": ema.model}

    def _networks(self) -> dict[str, torch.nn.Module]:
        """Every module a checkpoint stores, by its name there."""
        recipe = self.recipe
        return {
            "generator": recipe.generator,
            "discriminator": recipe.discriminator,
            **self._extra_modules(),
        }

    # -- one step ------------------------------------------------------------------------------
    def train_step(self, batches: list[tuple[Tensor, Tensor]]) -> Tensor:
        """``d_steps`` D updates (one per batch) then one G update; stats as one device vector."""
        recipe = self.recipe
        recipe.set_progress(self.step / self.total_steps)
        d_stats: dict[str, Tensor] = {}
        for real, labels in batches:
            loss, stats = recipe.discriminator_step_loss(real, labels)
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_d.step()
            for k, v in stats.items():
                d_stats[k] = d_stats[k] + v if k in d_stats else v
        n = len(batches)
        undo = frozen(recipe.discriminator)
        try:
            g_loss, g_stats = recipe.generator_step_loss(batches[0][0].shape[0])
            self.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            self.opt_g.step()
        finally:
            undo()
        recipe.after_generator_step(self.step)
        merged = {**{k: v / n for k, v in d_stats.items()}, **g_stats}
        return torch.stack([merged[k].float() for k in self.log.stat_names])

    # -- outputs -------------------------------------------------------------------------------
    def write_samples(self) -> Path:
        """The fixed-latent grid of the current state, named by (possibly fractional) epoch."""
        images = self.recipe.sample_images(self.fixed_z, self.fixed_labels)
        epoch = self.step / self.steps_per_epoch
        path = save_grid(
            images, self.layout.sample_grid(epoch), self.grid_cols, self.transform.bounds
        )
        if self.log.tb is not None:
            self.log.tb.image("samples", path, self.step)
        return path

    def _flush(
        self, pending: list[Tensor], first_step: int, then: float, bar: ProgressDisplay
    ) -> bool:
        """Read the pending steps' statistics (the one host sync), check and log them.

        Returns False when a divergence rolled the run back to its last checkpoint: the
        caller's batch iterator then belongs to the abandoned steps.
        """
        self.elapsed = self._session[1] + time.perf_counter() - self._session[2]
        rows = self.log.rows(torch.stack(pending).cpu().tolist(), first_step, then, self.elapsed)
        for i, row in enumerate(rows):
            bad = non_finite(row)
            if bad:
                self.log.write(rows[:i])  # the finite steps before it still happened
                return self._diverged(bar, int(row["step"]), f"non-finite {', '.join(bad)}")
        self.log.write(rows)
        self.last_row = rows[-1]
        bad = non_finite_weights(self._networks())
        if bad:  # finite losses, then an update that broke the weights: checkpoint-to-be
            return self._diverged(bar, self.step, f"non-finite weights in {', '.join(bad)}")
        if self.recipe.probability_outputs:
            warning = self.d_wins.update(rows)
            if warning:
                self._report(bar, warning)
        return True

    def _report(self, bar: ProgressDisplay, text: str) -> None:
        """A warning or recovery: on the progress display and in ``events.log``."""
        bar.message(text)
        self.events.write(self.step, text)

    def _diverged(self, bar: ProgressDisplay, step: int, what: str) -> bool:
        """``--on-diverge``: stop (raise), or roll back and return False."""
        message = f"training diverged at step {step}: {what}"
        last = self.layout.last_checkpoint
        if self.cfg.train.on_diverge == "rollback":
            if not last.exists():
                reason = (
                    "no checkpoint to roll back to yet (the first is written at the end of "
                    "epoch 1), so the run stops"
                )
            elif self.rollbacks >= MAX_ROLLBACKS:
                reason = f"giving up after {MAX_ROLLBACKS} rollbacks with lowered learning rates"
            else:
                self._roll_back(bar, message)
                return False
        else:
            reason = "stopped (--on-diverge rollback retries from the last checkpoint instead)"
        good = f"last good one: {last}" if last.exists() else "there is none yet"
        text = f"{message}; {reason}; no checkpoint of this state was written ({good})"
        self.events.write(step, text)
        raise TrainingDiverged(text)

    def _roll_back(self, bar: ProgressDisplay, message: str) -> None:
        """Reload the last checkpoint and continue from it with halved learning rates.

        Batches.csv and epochs.csv lose the abandoned steps' rows. The RNG state comes back
        too, so a rollback is reproducible: only the lower rates differ from the first try.
        """
        optimizers = (self.opt_g, self.opt_d)
        rates = [learning_rate(opt) for opt in optimizers]  # before the restore overwrites them
        ckpt = load_checkpoint(self.layout.last_checkpoint)
        restore(
            ckpt,
            generator=self.recipe.generator,
            discriminator=self.recipe.discriminator,
            optimizers={"opt_g": self.opt_g, "opt_d": self.opt_d},
            extra_modules=self._extra_modules(),
        )
        lr_g, lr_d = lower_learning_rates(optimizers, rates)
        self.rollbacks += 1
        self.step = ckpt.step
        self.log.start_at(self.step)
        if self.eval is not None:
            self.eval.restore(ckpt.meta, self.step)
        self.d_wins = DWinsDetector(self.cfg.train.d_wins_intervals)
        self.last_row = {}
        self._report(
            bar,
            f"{message}; rolled back to step {ckpt.step} ({ckpt.path}) with learning rates "
            f"halved to lr_g {lr_g:.3g}, lr_d {lr_d:.3g} "
            f"(rollback {self.rollbacks} of {MAX_ROLLBACKS})",
        )

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
        if self.step == 0:
            self.write_samples()
        self.recipe.train()
        end = self.total_steps if stop_at is None else min(stop_at, self.total_steps)
        bar = ProgressDisplay(
            self.total_steps, self.step, self.cfg.recipe, interactive=self.display
        )
        with bar, graceful_stop() as stop:
            while self.step < end and not stop.requested:
                # After a rollback the step is back at a checkpoint, whose epoch is closed.
                if self._run_epoch_part(bar, end, stop) and self.step % self.steps_per_epoch == 0:
                    self._end_epoch(bar)
            if self.step % self.steps_per_epoch != 0:  # stopped inside an epoch
                self.save(layout.last_checkpoint)
                if self.step == self.total_steps:
                    self.write_samples()
        self._finish()
        if stop.requested:
            raise TrainingInterrupted(
                f"{stop.signal_name} at step {self.step}: checkpoint saved; resume with "
                f"`ganforge train --resume --out {layout.root}`"
            )
        return TrainResult(
            layout.root,
            self.step,
            self.step / self.steps_per_epoch,
            self.elapsed,
            self._images_per_s(),
            self.last_row,
        )

    def _images_per_s(self) -> float:
        """Real images consumed per second in this session."""
        start_step, start_elapsed, _ = self._session
        images = (self.step - start_step) * self.cfg.train.batch_size * self.cfg.model.d_steps
        return images / max(self.elapsed - start_elapsed, 1e-9)

    def _run_epoch_part(self, bar: ProgressDisplay, stop_step: int, stop: StopRequest) -> bool:
        """Train from the current step to the end of its epoch, ``stop_step`` or a stop request.

        Returns False if a divergence rolled the run back to its last checkpoint.
        """
        d_steps = self.cfg.model.d_steps
        epoch = self.step // self.steps_per_epoch
        end = min((epoch + 1) * self.steps_per_epoch, stop_step)
        batches = self.stream.epoch(epoch, (self.step % self.steps_per_epoch) * d_steps)
        pending: list[Tensor] = []
        first, then = self.step, self.elapsed
        while self.step < end:
            pending.append(self.train_step([next(batches) for _ in range(d_steps)]))
            self.step += 1
            if len(pending) == self.cfg.train.log_every or self.step == end or stop.requested:
                if not self._flush(pending, first, then, bar):
                    return False
                pending, first, then = [], self.step, self.elapsed
                epoch_now = self.step / self.steps_per_epoch
                bar.update(self.step, epoch_now, self.last_row, self._images_per_s())
            if stop.requested:
                return True
        return True

    def _end_epoch(self, bar: ProgressDisplay) -> None:
        cfg, layout = self.cfg.train, self.layout
        epoch = self.step // self.steps_per_epoch
        row = self.log.close_epoch(epoch, self.step, self.elapsed)
        last = self.step >= self.total_steps
        # The grid first: a crash right after the checkpoint must not lose this epoch's grid.
        if epoch % cfg.sample_every == 0 or last:
            self.write_samples()
            if not last:  # _finish() draws the final plots; redraws cost ~0.5 s, so not always
                plot_training_curves(layout.batches_csv, layout.epochs_csv, layout.plots)
        best = False
        if self.eval is not None and (epoch % cfg.eval_every == 0 or last):
            scores, best = self.eval(self.recipe, self.transform, epoch, self.step, self.elapsed)
            bar.message(
                f"epoch {epoch} evaluation (n={cfg.eval_samples}): FID {scores['fid']:.2f}, "
                f"recall {scores['recall']:.3f}, classes {scores['classes_covered']:.0f}"
                + ("  (best so far)" if best else "")
            )
            from ganforge.training.eval_hook import collapse_warning  # loaded with EvalHook

            warning = collapse_warning(scores, self.data.num_classes)
            if warning:
                self._report(bar, warning)
        self.save(layout.last_checkpoint)
        if epoch % cfg.checkpoint_every == 0 or last:
            self.save(layout.epoch_checkpoint(epoch))
        if best:
            self.save(layout.checkpoints / "best.safetensors")
        bar.message(f"epoch {epoch}: {format_stats(row)}")

    def _finish(self) -> None:
        """The outputs drawn from the whole history: GIF, plots, summary."""
        layout = self.layout
        grids = sorted(layout.samples.glob("epoch_*.png"), key=layout.grid_epoch)
        if grids:
            save_gif(grids, layout.gif)
        plot_training_curves(layout.batches_csv, layout.epochs_csv, layout.plots)
        if self.eval is not None:
            plot_eval_curves(layout.metrics / "eval.csv", layout.plots / "eval.png")
        self._write_summary()
        if self.log.tb is not None:
            self.log.tb.close()

    def _write_summary(self) -> None:
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
            "final": self.last_row,
            **({"evaluation": self.eval.state()} if self.eval is not None else {}),
            "versions": provenance(),
        }
        tmp = self.layout.summary.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(summary, indent=2))
        tmp.replace(self.layout.summary)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (or already gone): leave it
        folder.rmdir()


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"epochs": 5}}`` → ``{"train.epochs": 5}`` (tuples and lists alike)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = list(value) if isinstance(value, (list, tuple)) else value
    return out


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
