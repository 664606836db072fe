"""What a run writes besides its checkpoints and logs: the fixed-latent sample grids, the
final figure, the loss plots, the progress GIF and, last, ``summary.json``. Rank 0's alone
under torchrun.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from torch import Tensor

from ganforge.config import RunConfig
from ganforge.config.every import parse_grid
from ganforge.config.layouts import DEFAULT_LAYOUT, plan_layout
from ganforge.data.batches import ImageTransform
from ganforge.figures import plot_eval_curves, plot_training_curves, save_gif, save_grid
from ganforge.generation import layout_samples
from ganforge.models.base import Recipe
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.log import RunLog

FIXED_SAMPLES = 64
FIXED_SEED_OFFSET = 7919  # fixed latents get a seed apart from the training's own
# Loss plots are redrawn at an epoch's end once this many seconds have passed since the last
# drawing (and always at the run's end): two figures cost about a second of matplotlib, which
# epochs of a few seconds would otherwise spend mostly drawing.
PLOT_EVERY_S = 30.0


def fixed_inputs(recipe: Recipe, seed: int, grid: str = "8x8") -> tuple[Tensor, Tensor | None, int]:
    """The fixed latent batch behind every sample grid: (z, labels, grid columns).

    Unconditional: rows × columns latents (``grid``, ``train.sample_grid``), 8×8 = 64 by
    default. Conditional: one row per class, the same ``columns`` latents in every row, so a
    column shows one "style" across classes (the grid's rows are the classes). A smaller grid
    shows the first latents of the default one: 4x4 is the 8x8's first two rows, and so on.
    """
    rows, columns = parse_grid(grid)
    g = torch.Generator().manual_seed(seed + FIXED_SEED_OFFSET)
    if not recipe.conditional:
        n = rows * columns
        return recipe.sample_latent(max(n, FIXED_SAMPLES), generator=g)[:n], None, columns
    z = recipe.sample_latent(max(columns, 8), generator=g)[:columns].repeat(recipe.num_classes, 1)
    labels = torch.arange(recipe.num_classes, device=recipe.device).repeat_interleave(columns)
    return z, labels, columns


class RunOutputs:
    """The pictures and plots of one run in ``layout``, drawn from ``recipe`` as it trains."""

    def __init__(
        self,
        layout: RunLayout,
        cfg: RunConfig,
        recipe: Recipe,
        transform: ImageTransform,
        log: RunLog,
        class_names: tuple[str, ...],
    ) -> None:
        self.layout, self.cfg, self.recipe, self.transform = layout, cfg, recipe, transform
        self.log, self.class_names = log, class_names
        self.fixed_z, self.fixed_labels, self.grid_cols = fixed_inputs(
            recipe, cfg.train.seed, cfg.train.sample_grid
        )
        self._plotted_at = time.perf_counter()

    def grid(self, epoch: float, step: int, decimals: int = 2) -> Path:
        """The fixed-latent grid of the current state, named by (possibly fractional) epoch
        (with ``decimals`` after the point, see :meth:`RunLayout.sample_grid`)."""
        images = self.recipe.sample_images(self.fixed_z, self.fixed_labels)
        path = save_grid(
            images,
            self.layout.sample_grid(epoch, decimals),
            self.grid_cols,
            self.transform.bounds,
            labels=self.fixed_labels,  # a conditional grid's rows named by class
            class_names=self.class_names,
        )
        self.log.trackers.on_grid(step, epoch, path)
        return path

    def final_figure(self) -> list[Path]:
        """The final figure(s) in ``train.grid_layout``, from latents of a fixed seed, so a
        rerun or a resume draws the same figure; figures of another layout (a resume may
        change it) are deleted. The default 8x8 writes none: the last grid is that figure."""
        name = self.cfg.train.grid_layout
        written: list[Path] = []
        if name != DEFAULT_LAYOUT:
            classes = self.class_names if self.recipe.conditional else None
            layout = plan_layout(name, classes)
            seed = self.cfg.train.seed + FIXED_SEED_OFFSET
            for page, images in layout_samples(self.recipe, layout, seed):
                path = self.layout.final_grid(page.suffix)
                bounds = self.transform.bounds
                written.append(
                    save_grid(images, path, page.columns, bounds, page.title, page.labels, classes)
                )
        for stale in set(self.layout.final_grids()) - set(written):
            stale.unlink(missing_ok=True)
        return written

    def plots(self, force: bool = False) -> None:
        """Redraw the loss plots: always with ``force`` (the run's end), else only once
        :data:`PLOT_EVERY_S` seconds have passed since the last drawing."""
        if not force and time.perf_counter() - self._plotted_at < PLOT_EVERY_S:
            return
        layout = self.layout
        plot_training_curves(layout.batches_csv, layout.epochs_csv, layout.plots)
        self._plotted_at = time.perf_counter()

    def finish(self, evaluated: bool) -> None:
        """The outputs drawn from the whole history or the final state: GIF, final figure,
        plots (the evaluation's too where ``evaluated``). The caller writes the summary after
        them, so that its absence tells a resume that they are still to be written."""
        layout = self.layout
        grids = layout.sample_grids()
        if grids:
            save_gif(grids, layout.gif)
        self.final_figure()
        self.plots(force=True)
        if evaluated:
            plot_eval_curves(layout.eval_csv, layout.plot("eval.png"))
