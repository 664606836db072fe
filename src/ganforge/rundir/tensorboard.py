"""A thin TensorBoard writer, and the run's TensorBoard tracker (``--log-to tensorboard``);
tensorboard itself is imported only when one is created."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ganforge.rundir.trackers import Row, Tracker

__all__ = ["TensorBoardLogger", "TensorBoardTracker"]


class TensorBoardLogger:
    """Write scalars and images to ``log_dir`` for ``tensorboard --logdir``.

    Wraps :class:`torch.utils.tensorboard.SummaryWriter`, which is imported in the
    constructor: importing it costs seconds, and most commands never log to TensorBoard.
    Usable as a context manager.
    """

    def __init__(self, log_dir: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = Path(log_dir)
        self._writer: Any = SummaryWriter(log_dir=str(self.log_dir))

    def scalars(self, step: int, values: Mapping[str, float], prefix: str = "") -> None:
        """Log each ``values[name]`` under tag ``prefix/name`` (or ``name`` without prefix)."""
        for name, value in values.items():
            tag = f"{prefix}/{name}" if prefix else name
            self._writer.add_scalar(tag, float(value), global_step=step)

    def image(self, tag: str, image: Path | Tensor, step: int) -> None:
        """Log an image: a PNG/GIF path, or a ``uint8`` tensor ``H×W`` or ``C×H×W``.

        Float tensors are refused rather than guessed at: convert them with
        :func:`ganforge.reporting.to_uint8` and an explicit data range.
        """
        if isinstance(image, Tensor):
            if image.dtype != torch.uint8:
                raise TypeError(f"image tensor must be uint8 (see to_uint8), got {image.dtype}")
            if image.dim() == 2:
                image = image.unsqueeze(0)
            if image.dim() != 3:
                raise ValueError(f"image tensor must be H×W or C×H×W, got {tuple(image.shape)}")
            array = image.detach().cpu().numpy()
            self._writer.add_image(tag, array, global_step=step, dataformats="CHW")
            return
        with Image.open(image) as im:
            array = np.asarray(im.convert("RGB"))
        self._writer.add_image(tag, array, global_step=step, dataformats="HWC")

    def flush(self) -> None:
        """Push pending events to disk."""
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self._writer.close()

    def __enter__(self) -> TensorBoardLogger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class TensorBoardTracker(Tracker):
    """A run's TensorBoard events in ``log_dir`` (the run's ``tensorboard/``): per-step
    statistics as ``batch/NAME``, epoch means as ``epoch/NAME`` at the epoch's number,
    evaluations as ``eval/NAME``, grids as the image ``samples``."""

    def __init__(self, log_dir: Path, stat_names: tuple[str, ...]) -> None:
        self.stat_names = stat_names
        self.tb: TensorBoardLogger | None = TensorBoardLogger(log_dir)

    def on_log(self, rows: list[dict[str, float]]) -> None:
        for row in rows:
            self._scalars(int(row["step"]), row, "batch")

    def on_epoch(self, row: Row) -> None:
        self._scalars(int(row["epoch"]), row, "epoch")

    def _scalars(self, step: int, row: Row, prefix: str) -> None:
        if self.tb is not None:
            self.tb.scalars(step, {k: row[k] for k in self.stat_names}, prefix)

    def on_grid(self, step: int, epoch: float, path: Path) -> None:
        if self.tb is not None:
            self.tb.image("samples", path, step)

    def on_eval(self, step: int, row: Row) -> None:
        if self.tb is not None:
            skip = ("epoch", "step", "time")
            self.tb.scalars(step, {k: v for k, v in row.items() if k not in skip}, "eval")

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()
            self.tb = None
