"""The training loop. It knows no recipe: it feeds batches, steps the optimizers, and writes
the run's outputs (grids, logs, plots, checkpoints, summary).

One *step* is one G update and the ``d_steps`` D updates before it, each D update on its own
real batch; an *epoch* is one pass over the training images. Statistics stay on the device
and are read once per ``log_every`` steps, so the hot loop has no host-device syncs.
"""

from __future__ import annotations

import json
import math
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
from ganforge.reporting import CsvLog, plot_training_curves, save_gif, save_grid
from ganforge.training.checkpoint import load_checkpoint, restore, save_checkpoint
from ganforge.training.progress import ProgressDisplay, format_stats
from ganforge.training.provenance import provenance
from ganforge.training.run_dir import RunLayout
from ganforge.training.setup import build_recipe, resolve_device

BASE_STATS = ("d_loss", "g_loss", "d_real", "d_fake")
FIXED_SAMPLES = 64


class TrainingDiverged(GanforgeError):
    """A loss became NaN or infinite; no checkpoint of that state is written."""


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


@torch.no_grad()
def generate_images(recipe: Recipe, z: Tensor, labels: Tensor | None, chunk: int = 256) -> Tensor:
    """Run G in eval mode (batch-norm running statistics, no dropout) and restore its mode."""
    was_training = recipe.generator.training
    recipe.generator.eval()
    try:
        outs = [
            recipe.generate(z[i : i + chunk], None if labels is None else labels[i : i + chunk])
            for i in range(0, z.shape[0], chunk)
        ]
    finally:
        recipe.generator.train(was_training)
    return torch.cat(outs)


class Trainer:
    """Trains one run. ``resume=True`` continues the run found in ``run_dir``."""

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
        ckpt = None
        if resume:
            if not self.layout.last_checkpoint.exists():
                raise GanforgeError(
                    f"nothing to resume: {self.layout.last_checkpoint} does not exist"
                )
            ckpt = load_checkpoint(self.layout.last_checkpoint)
            if ckpt.recipe != cfg.recipe:
                raise GanforgeError(
                    f"{ckpt.path} is a {ckpt.recipe!r} checkpoint; "
                    f"cannot resume it as {cfg.recipe!r}"
                )
        elif self.layout.last_checkpoint.exists():
            raise GanforgeError(
                f"{self.layout.root} already holds a run; pass --resume to continue it "
                "or choose another --out"
            )
        cfg.validate()
        self.cfg = cfg
        self.display = display
        self.device = resolve_device(cfg.train.device)
        self.data = data or load_dataset(cfg.dataset, "train", data_dir)
        torch.manual_seed(cfg.train.seed)
        self.recipe = build_recipe(cfg, self.data.num_classes, self.device)
        self.opt_g, self.opt_d = self.recipe.make_optimizers()
        self.transform = ImageTransform(cfg.model.data_range, cfg.model.resolution)
        n_images = self.data.images.shape[0]
        if cfg.train.batch_size * cfg.model.d_steps > n_images:
            raise ConfigError(
                f"batch size {cfg.train.batch_size} × d_steps {cfg.model.d_steps} is more than "
                f"the {n_images} training images; lower one of them"
            )
        self.stream = BatchStream(
            self.data.images.to(self.device),
            self.data.labels.to(self.device),
            cfg.train.batch_size,
            cfg.train.seed,
            self.transform,
        )
        d_steps = cfg.model.d_steps
        self.steps_per_epoch = self.stream.batches_per_epoch // d_steps
        self.total_steps = cfg.train.steps or cfg.train.epochs * self.steps_per_epoch
        self.stat_names = BASE_STATS + tuple(getattr(self.recipe, "extra_stats", ()))
        self.step = 0
        self.elapsed = 0.0  # training seconds, carried across resumes
        self.fixed_z, self.fixed_labels, self.grid_cols = fixed_inputs(self.recipe, cfg.train.seed)
        self.layout.make()
        header = ["step", "epoch", "time", *self.stat_names]
        self.batch_log = CsvLog(self.layout.batches_csv, header)
        self.epoch_log = CsvLog(self.layout.epochs_csv, header)
        self.tb = None
        if cfg.train.tensorboard:
            from ganforge.reporting import TensorBoardLogger

            self.tb = TensorBoardLogger(self.layout.tensorboard)
        if ckpt is not None:
            self._resume_from(ckpt)
        self.layout.config.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))

    # -- checkpoints ---------------------------------------------------------------------------
    def _resume_from(self, ckpt: Any) -> None:
        restore(
            ckpt,
            generator=self.recipe.generator,
            discriminator=self.recipe.discriminator,
            optimizers={"opt_g": self.opt_g, "opt_d": self.opt_d},
        )
        self.step = ckpt.step
        self.elapsed = float(ckpt.meta.get("elapsed", 0.0))
        # Rows logged after the checkpoint belong to work that is about to be redone.
        self.batch_log.truncate_after(self.step)
        self.epoch_log.truncate_after(self.step)

    def save(self, path: Path) -> None:
        meta = {
            "recipe": self.cfg.recipe,
            "step": self.step,
            "epoch": self.step / self.steps_per_epoch,
            "elapsed": self.elapsed,
            "config": self.cfg.to_dict(),
            "num_classes": self.data.num_classes,
        }
        save_checkpoint(
            path,
            generator=self.recipe.generator,
            discriminator=self.recipe.discriminator,
            optimizers={"opt_g": self.opt_g, "opt_d": self.opt_d},
            meta=meta,
        )

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
        merged = {**{k: v / n for k, v in d_stats.items()}, **g_stats}
        return torch.stack([merged[k].float() for k in self.stat_names])

    # -- outputs -------------------------------------------------------------------------------
    def write_samples(self, epoch: int) -> Path:
        images = generate_images(self.recipe, self.fixed_z, self.fixed_labels)
        path = save_grid(
            images, self.layout.sample_grid(epoch), self.grid_cols, self.transform.bounds
        )
        if self.tb is not None:
            self.tb.image("samples", path, self.step)
        return path

    def _flush(
        self, pending: list[Tensor], first_step: int, then: float, now: float
    ) -> list[dict[str, float]]:
        """Read the pending steps' statistics (the one host sync), check them, log them.

        Steps of one interval are given evenly spaced times between ``then`` and ``now``.
        """
        values = torch.stack(pending).cpu().tolist()
        rows = []
        for i, vals in enumerate(values):
            step = first_step + i + 1
            t = then + (now - then) * (i + 1) / len(values)
            row = {"step": step, "epoch": step / self.steps_per_epoch, "time": t}
            row.update(zip(self.stat_names, vals, strict=True))
            rows.append(row)
        for r in rows:
            bad = [k for k, v in r.items() if not math.isfinite(v)]
            if bad:
                raise TrainingDiverged(
                    f"training diverged at step {r['step']}: non-finite {', '.join(bad)}; "
                    "no checkpoint of this state was written "
                    f"(last good one: {self.layout.last_checkpoint})"
                )
        self.batch_log.write_rows(rows)
        if self.tb is not None:
            for r in rows:
                self.tb.scalars(r["step"], {k: r[k] for k in self.stat_names}, "batch")
        return rows

    def _epoch_row(self, epoch: int) -> dict[str, float]:
        rows = [r for r in self.batch_log.read() if epoch - 1 < r["epoch"] <= epoch]
        row = {"step": self.step, "epoch": epoch, "time": self.elapsed}
        for k in self.stat_names:
            row[k] = sum(r[k] for r in rows) / max(len(rows), 1)
        self.epoch_log.write_rows([row])
        if self.tb is not None:
            self.tb.scalars(epoch, {k: row[k] for k in self.stat_names}, "epoch")
        return row

    # -- the loop ------------------------------------------------------------------------------
    def run(self, stop_at: int | None = None) -> TrainResult:
        """Train until ``total_steps``, writing every output; returns the run's figures.

        ``stop_at`` ends the session early at that step, with a checkpoint, exactly as an
        interruption would: resuming then continues the same plan (annealed schedules follow
        ``total_steps``, so extending a run with more epochs changes them from there on).
        """
        layout = self.layout
        end = self.total_steps if stop_at is None else min(stop_at, self.total_steps)
        if self.step == 0:
            self.write_samples(0)
        self.recipe.train()
        self._start = (self.step, self.elapsed, time.perf_counter())
        self.last_row: dict[str, float] = {}
        with ProgressDisplay(
            self.total_steps, self.step, self.cfg.recipe, interactive=self.display
        ) as bar:
            while self.step < end:
                self._run_epoch_part(bar, end)
                if self.step % self.steps_per_epoch == 0:
                    self._end_epoch(self.step // self.steps_per_epoch, bar)
            if self.step % self.steps_per_epoch != 0:  # stopped mid-epoch
                self.save(layout.last_checkpoint)
        images_per_s = self._images_per_s()
        grids = sorted(layout.samples.glob("epoch_*.png"))
        if grids:
            save_gif(grids, layout.gif)
        plot_training_curves(layout.batches_csv, layout.epochs_csv, layout.plots)
        self._write_summary(images_per_s, self.last_row)
        if self.tb is not None:
            self.tb.close()
        return TrainResult(
            layout.root,
            self.step,
            self.step / self.steps_per_epoch,
            self.elapsed,
            images_per_s,
            self.last_row,
        )

    def _images_per_s(self) -> float:
        """Real images consumed per second since this process started training."""
        start_step, start_elapsed, _ = self._start
        images = (self.step - start_step) * self.cfg.train.batch_size * self.cfg.model.d_steps
        return images / max(self.elapsed - start_elapsed, 1e-9)

    def _run_epoch_part(self, bar: ProgressDisplay, stop: int) -> None:
        """Train from the current step to the end of its epoch (or to ``stop``)."""
        d_steps = self.cfg.model.d_steps
        epoch = self.step // self.steps_per_epoch
        end = min((epoch + 1) * self.steps_per_epoch, stop)
        batches = self.stream.epoch(epoch, (self.step % self.steps_per_epoch) * d_steps)
        pending: list[Tensor] = []
        first, then = self.step, self.elapsed
        while self.step < end:
            pending.append(self.train_step([next(batches) for _ in range(d_steps)]))
            self.step += 1
            if len(pending) == self.cfg.train.log_every or self.step == end:
                self.elapsed = self._start[1] + time.perf_counter() - self._start[2]
                self.last_row = self._flush(pending, first, then, self.elapsed)[-1]
                pending, first, then = [], self.step, self.elapsed
                bar.update(
                    self.step, self.step / self.steps_per_epoch, self.last_row, self._images_per_s()
                )

    def _end_epoch(self, epoch: int, bar: ProgressDisplay) -> None:
        cfg, layout = self.cfg.train, self.layout
        row = self._epoch_row(epoch)
        last = self.step >= self.total_steps
        self.save(layout.last_checkpoint)
        if epoch % cfg.checkpoint_every == 0 or last:
            self.save(layout.epoch_checkpoint(epoch))
        if epoch % cfg.sample_every == 0 or last:
            self.write_samples(epoch)
            if not last:  # run() draws the final plots; redraws cost ~0.5 s, so not every epoch
                plot_training_curves(layout.batches_csv, layout.epochs_csv, layout.plots)
        bar.message(f"epoch {epoch}: {format_stats(row)}")

    def _write_summary(self, images_per_s: float, final: dict[str, float]) -> None:
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
            "images_per_s": round(images_per_s, 1),
            "device": str(self.device),
            "final": final,
            "versions": provenance(),
        }
        tmp = self.layout.summary.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(summary, indent=2))
        tmp.replace(self.layout.summary)


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
