"""Where a run writes what: one place that names every file of a run directory."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.rundir.confine import confined, confined_glob
from ganforge.rundir.records import read_json


@dataclass(frozen=True)
class RunLayout:
    """The files of a run directory::

    config.yaml  summary.json  progress.gif  events.log  train.lock
    samples/epoch_0001.png …   metrics/batches.csv  metrics/epochs.csv
    samples/final.png (or samples/final_class_0.png … with the per-class grid layout)
    plots/loss_per_batch.png  plots/loss_per_epoch.png
    checkpoints/last.safetensors  checkpoints/epoch_0005.safetensors …
    (with a step interval, files inside an epoch: samples/epoch_0000.534.png … and
    checkpoints/epoch_0000.534.safetensors …, named by their fractional epoch)
    tensorboard/

    Every path it hands out is checked by the path rule (:func:`~ganforge.rundir.confine.
    confined`): one that a symlink leads out of ``root`` is an ``UnsafePathError``, for
    reading and writing alike, and :meth:`glob` leaves such files out.
    """

    root: Path

    def at(self, *parts: str) -> Path:
        """``root/parts…``, once the path rule has checked it."""
        return confined(self.root, Path(*parts))

    def glob(self, folder: Path, pattern: str) -> Iterator[Path]:
        """The files in ``folder`` (one of this layout's) matching ``pattern``, those leading
        out of the run folder left out."""
        return confined_glob(self.root, folder, pattern)

    @property
    def config(self) -> Path:
        return self.at("config.yaml")

    @property
    def summary(self) -> Path:
        return self.at("summary.json")

    @property
    def summary_tmp(self) -> Path:
        """Where the summary is written before it replaces ``summary.json``."""
        return self.at("summary.json.tmp")

    def summary_step(self) -> int:
        """The step ``summary.json`` was written at; -1 if there is none (or it is unreadable)."""
        try:
            steps = read_json(self.summary, "run summary").get("steps")
        except (GanforgeError, AttributeError):  # AttributeError: not a JSON object
            return -1
        return steps if isinstance(steps, int) and not isinstance(steps, bool) else -1

    @property
    def events(self) -> Path:
        """Warnings and recoveries during training, one line each (see ``EventLog``)."""
        return self.at("events.log")

    @property
    def gif(self) -> Path:
        return self.at("progress.gif")

    @property
    def samples(self) -> Path:
        return self.at("samples")

    @property
    def metrics(self) -> Path:
        return self.at("metrics")

    @property
    def batches_csv(self) -> Path:
        return self.at("metrics", "batches.csv")

    @property
    def epochs_csv(self) -> Path:
        return self.at("metrics", "epochs.csv")

    @property
    def eval_csv(self) -> Path:
        """The evaluations during training (``--eval-every``)."""
        return self.at("metrics", "eval.csv")

    @property
    def fid_curve_csv(self) -> Path:
        """The FID curve measured afterwards from the checkpoints (a study's)."""
        return self.at("metrics", "fid_curve.csv")

    @property
    def metrics_json(self) -> Path:
        """``ganforge evaluate``'s (or a study's) scores of the run's final state."""
        return self.at("metrics.json")

    @property
    def plots(self) -> Path:
        return self.at("plots")

    @property
    def checkpoints(self) -> Path:
        return self.at("checkpoints")

    @property
    def last_checkpoint(self) -> Path:
        return self.at("checkpoints", "last.safetensors")

    @property
    def best_checkpoint(self) -> Path:
        """The checkpoint of the best FID so far (``--eval-every``)."""
        return self.at("checkpoints", "best.safetensors")

    def plot(self, name: str) -> Path:
        """A figure in ``plots/``: ``loss_per_batch.png``, ``eval.png`` …"""
        return self.at("plots", name)

    @property
    def tensorboard(self) -> Path:
        return self.at("tensorboard")

    def sample_grid(self, epoch: float, decimals: int = 2) -> Path:
        """``epoch_0003.png``; a grid inside an epoch (a run's end, a step interval) gets
        e.g. ``epoch_0003.25.png``, or with more ``decimals`` ``epoch_0003.250.png``."""
        return self.at("samples", f"epoch_{epoch_name(epoch, decimals)}.png")

    def final_grid(self, suffix: str = "") -> Path:
        """The final figure in the run's ``--grid-layout``: ``final.png``, or ``final`` +
        the page's suffix for a layout of several pages (``final_class_3.png`` for class 3).
        The default 8x8 layout writes none: the last epoch's grid is that figure."""
        return self.at("samples", f"final{suffix}.png")

    def final_grids(self) -> list[Path]:
        """Every final figure there is (e.g. of an earlier layout, before a resume)."""
        return sorted(self.glob(self.samples, "final*.png"))

    @staticmethod
    def grid_epoch(path: Path) -> float:
        """The epoch a sample grid (or numbered checkpoint) shows, from its name (for ordering
        the GIF's frames)."""
        return float(path.stem.removeprefix("epoch_"))

    def epoch_checkpoint(self, epoch: float, decimals: int = 2) -> Path:
        """A numbered checkpoint: ``epoch_0005.safetensors``, or one inside an epoch (a step
        interval's) named by its fractional epoch as grids are, ``epoch_0005.25.safetensors``."""
        return self.at("checkpoints", f"epoch_{epoch_name(epoch, decimals)}.safetensors")

    def epoch_checkpoints(self) -> list[Path]:
        """The numbered checkpoints in training order (by the epoch in their names, which
        file-name order is not: ``epoch_0001.50`` sorts before ``epoch_0001``)."""
        return self._by_epoch(self.checkpoints, "epoch_*.safetensors")

    def sample_grids(self) -> list[Path]:
        """The fixed-latent grids in ``samples/`` in epoch order (the GIF's frames)."""
        return self._by_epoch(self.samples, "epoch_*.png")

    def _by_epoch(self, folder: Path, pattern: str) -> list[Path]:
        """The files of ``folder`` named by an epoch, in epoch order; a name that is no
        epoch (``epoch_x``, ``epoch_nan``: not one of ours) is left out."""
        numbered = []
        for path in self.glob(folder, pattern):
            try:
                epoch = self.grid_epoch(path)
            except ValueError:
                continue
            if math.isfinite(epoch) and epoch >= 0:
                numbered.append((epoch, path))
        return [path for _, path in sorted(numbered)]

    def make(self) -> None:
        for folder in (self.samples, self.metrics, self.plots, self.checkpoints):
            folder.mkdir(parents=True, exist_ok=True)

    def clear_partial_files(self) -> None:
        """Delete the temporary files of a killed writer (checkpoints, CSV rewrites, grids,
        plots, the GIF, the summary): never complete. Only for the lock's holder, as no one
        else can be writing them then."""
        leftovers = [
            (self.checkpoints, ".*.tmp"),  # atomic_path's temporary checkpoints
            (self.checkpoints, ".*.tmp-*"),  # those of ganforge before 0.2
            (self.root, ".*.tmp"),  # atomic_path's, in every folder it writes to
            (self.metrics, ".*.tmp"),
            (self.samples, ".*.tmp"),
            (self.plots, ".*.tmp"),
            (self.root, self.summary_tmp.name),
        ]
        for folder, pattern in leftovers:
            if folder.is_dir():
                for tmp in self.glob(folder, pattern):
                    tmp.unlink(missing_ok=True)

    def clear_grids(self) -> None:
        """Delete the sample grids, final figures and the GIF (of a run that left no
        checkpoint)."""
        for path in (*self.glob(self.samples, "epoch_*.png"), *self.final_grids(), self.gif):
            path.unlink(missing_ok=True)


def epoch_name(epoch: float, decimals: int = 2) -> str:
    """``3`` → ``"0003"``; ``3.25`` → ``"0003.25"`` (``"0003.250"`` with 3 ``decimals``)."""
    if float(epoch).is_integer():
        return f"{int(epoch):04d}"
    return f"{epoch:0{5 + decimals}.{decimals}f}"


def default_run_dir(recipe: str, base: Path = Path("runs")) -> Path:
    """``runs/<recipe>-<YYYYmmdd-HHMMSS>``, unique within the second."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = base / f"{recipe}-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = base / f"{recipe}-{stamp}-{n}"
    return path
