"""Reporting: image grids and GIFs, CSV metric logs, training-curve plots, TensorBoard.

Heavy imports (torchvision, matplotlib, tensorboard) happen on first use, so importing this
package stays cheap.
"""

from ganforge.reporting.images import grid_image, save_gif, save_grid, save_strip, to_uint8
from ganforge.reporting.metrics_log import CsvLog, read_csv_rows
from ganforge.reporting.plots import plot_eval_curves, plot_training_curves
from ganforge.reporting.tensorboard import TensorBoardLogger

__all__ = [
    "CsvLog",
    "TensorBoardLogger",
    "grid_image",
    "plot_eval_curves",
    "plot_training_curves",
    "read_csv_rows",
    "save_gif",
    "save_grid",
    "save_strip",
    "to_uint8",
]
