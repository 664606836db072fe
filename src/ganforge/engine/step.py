"""One GAN step, as a function a test can call on a recipe and two optimizers.

A *step* is ``d_steps`` D updates, each on its own real batch (or all on one, with
``model.d_steps_same_batch``), then one G update through D frozen. The recipe supplies the
losses (:meth:`Recipe.discriminator_step_loss`, :meth:`Recipe.generator_step_loss`); the step
owns the optimizer calls, the mixed-precision context and the statistics, which stay on the
device as one vector (the loop reads them once per log interval).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor

from ganforge.config import ModelConfig
from ganforge.engine.lr_decay import apply_lr_decay
from ganforge.engine.speed import autocast
from ganforge.models.base import Recipe

BASE_STATS = ("d_loss", "g_loss", "d_real", "d_fake")

Batch = tuple[Tensor, Tensor]  # (images, labels)


def stat_names(recipe: Recipe) -> tuple[str, ...]:
    """The statistics a step of ``recipe`` returns, in their order in its vector."""
    return BASE_STATS + recipe.extra_stats


def step_batches(batches: Iterator[Batch], model: ModelConfig) -> list[Batch]:
    """The real batches of one step, one per D update: drawn one each, or one batch for all
    of them (``model.d_steps_same_batch``)."""
    drawn = [next(batches) for _ in range(model.batches_per_step)]
    return drawn * model.d_steps if model.batches_per_step == 1 else drawn


def training_progress(step: int, total_steps: int, elapsed: float, time_limit: float) -> float:
    """The fraction of training done, for annealed tricks: of the steps, or of ``time_limit``
    (training seconds) where that is nearer its end, so that a run stopped by its time limit
    has annealed all the way too."""
    done = step / total_steps
    return min(1.0, max(done, elapsed / time_limit)) if time_limit else done


def gan_step(
    recipe: Recipe,
    opt_d: torch.optim.Optimizer,
    opt_g: torch.optim.Optimizer,
    batches: Sequence[Batch],
    *,
    step: int,
    progress: float,
    lr_decay_from: float = 1.0,
    precision: str = "fp32",
) -> Tensor:
    """``len(batches)`` D updates (one per batch) then one G update of ``recipe``.

    ``progress`` (0 to 1) drives the recipe's annealed tricks and, below ``lr_decay_from``,
    the linear decay of both learning rates; ``step`` is the step's index (EMA updates read
    it). Returns the step's statistics (:func:`stat_names`) as one device vector: D's averaged
    over its updates, G's from its one.
    """
    recipe.set_progress(progress)
    if lr_decay_from < 1.0:
        apply_lr_decay((opt_g, opt_d), progress, lr_decay_from)
    d_stats: dict[str, Tensor] = {}
    for real, labels in batches:
        with autocast(precision, recipe.device):
            loss, stats = recipe.discriminator_step_loss(real, labels)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        for k, v in stats.items():
            d_stats[k] = d_stats[k] + v if k in d_stats else v
    undo = recipe.freeze_discriminator()
    try:
        with autocast(precision, recipe.device):
            g_loss, g_stats = recipe.generator_step_loss(batches[0][0].shape[0])
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    finally:
        undo()
    recipe.after_generator_step(step)
    merged = {**{k: v / len(batches) for k, v in d_stats.items()}, **g_stats}
    return torch.stack([merged[k].float() for k in stat_names(recipe)])
