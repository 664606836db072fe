"""A run's pictures: sample grids, strips and the progress GIF (:mod:`.images`), and the
training-curve plots (:mod:`.plots`). Heavy imports (torchvision, matplotlib) happen on first
use."""

from ganforge.figures.images import grid_image, save_gif, save_grid, save_strip, to_uint8
from ganforge.figures.plots import plot_eval_curves, plot_training_curves

__all__ = [
    "grid_image",
    "plot_eval_curves",
    "plot_training_curves",
    "save_gif",
    "save_grid",
    "save_strip",
    "to_uint8",
]
