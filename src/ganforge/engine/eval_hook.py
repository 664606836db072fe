"""Evaluation during training (``--eval-every``): a smaller sample scored every few epochs
(or steps), logged as curves, with the best checkpoint kept by FID.

It never touches training's random stream: latents come from their own generator, G is
sampled in eval mode (no dropout), and everything runs inside ``torch.random.fork_rng``, so
a run with and without ``--eval-every`` trains identically.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from ganforge.config import RunConfig
from ganforge.data import DataSource
from ganforge.data.batches import ImageTransform
from ganforge.evaluation.evaluate import evaluate_images, evaluator_for, real_reference
from ganforge.models.base import Recipe
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.metrics_log import CsvLog
from ganforge.setup.data import data_source

COLUMNS = (
    "epoch",
    "step",
    "time",
    "fid",
    "kid_mean",
    "precision",
    "recall",
    "density",
    "coverage",
    "classes_covered",
    "class_kl",
    "class_accuracy",
)

# Fewer classes than this share of the dataset's among the samples (a class counts when it
# gets ≥ 1 % of them, see ``classes_covered``) suggests mode collapse: 8 of MNIST's 10.
COLLAPSE_CLASS_SHARE = 0.8


def collapse_warning(row: dict[str, Any], num_classes: int) -> str | None:
    """The mode-collapse warning for one evaluation row, or None if its classes look fine."""
    covered = row.get("classes_covered")
    if covered is None or math.isnan(covered):
        return None
    if covered >= math.ceil(COLLAPSE_CLASS_SHARE * num_classes):
        return None
    return (
        f"possible mode collapse: samples fall in {covered:.0f} of {num_classes} classes "
        f"(epoch {row.get('epoch', '?')})"
    )


class EvalHook:
    """Scores the generator on ``n`` fixed latents and tracks the best FID so far."""

    def __init__(self, layout: RunLayout, real: DataSource, n: int, seed: int) -> None:
        self.log = CsvLog(layout.eval_csv, COLUMNS)
        self.real, self.n, self.seed = real, n, seed
        self.best_fid = math.inf
        self.best_epoch: float | None = None  # fractional for a step interval's

    @classmethod
    def for_run(cls, layout: RunLayout, cfg: RunConfig, data_dir: Path | None) -> EvalHook:
        """The hook of a run of ``cfg``: its real data's test split, ``eval_samples`` fakes
        from latents of seed ``train.seed + 1``."""
        real = data_source(cfg, data_dir)
        return cls(layout, real, cfg.train.eval_samples, cfg.train.seed + 1)

    def restore(self, meta: dict[str, Any], step: int) -> None:
        """Continue from a checkpoint: its best-so-far, and no rows after its step."""
        self.best_fid = meta.get("best_fid") or math.inf
        self.best_epoch = meta.get("best_epoch")
        self.log.truncate_after(step)

    def __call__(
        self, recipe: Recipe, transform: ImageTransform, epoch: float, step: int, elapsed: float
    ) -> tuple[dict[str, Any], bool]:
        """Evaluate now; returns (the row logged, whether this is the best FID so far)."""
        # The training device's stream too: under torchrun only rank 0 evaluates, and the
        # processes' shared random stream must stay in step.
        cuda = [recipe.device] if recipe.device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            evaluator = evaluator_for(self.real)
            reference = real_reference(evaluator, self.real)
            z = recipe.sample_latent(self.n, generator=torch.Generator().manual_seed(self.seed))
            labels = torch.arange(self.n) % recipe.num_classes if recipe.conditional else None
            images = transform.to_uint8(recipe.sample_images(z, labels)).cpu()
            result = evaluate_images(images, labels, evaluator, reference)
        row = {"epoch": epoch, "step": step, "time": elapsed}
        row.update({k: result.get(k) for k in COLUMNS[3:]})
        row = {k: (math.nan if v is None else v) for k, v in row.items()}
        self.log.write_rows([row])
        best = row["fid"] < self.best_fid
        if best:
            self.best_fid, self.best_epoch = row["fid"], epoch
        return row, best

    def state(self) -> dict[str, Any]:
        """What a checkpoint must remember to resume the best-so-far tracking."""
        return {
            "best_fid": None if math.isinf(self.best_fid) else self.best_fid,
            "best_epoch": self.best_epoch,
        }
