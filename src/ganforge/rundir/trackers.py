"""Experiment trackers: the callbacks through which a run's statistics, sample grids,
evaluations and summary reach TensorBoard, MLflow or Weights & Biases (``train.log_to``,
``--log-to``), beside the run directory's own CSV logs and summary.

Each tracker implements :class:`Tracker`, whose hooks do nothing by default; the training
loop calls one :class:`Trackers` (all of a run's) and knows none of them. A tracker's library
is imported only when it is opened, and :func:`check_installed` refuses a tracker whose extra
is missing in one line before training starts. What a tracker needs to continue the same run
on a resume (an MLflow run id, a W&B run id) it keeps in ``trackers.json`` in the run directory.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganforge.config.trackers import TRACKERS
from ganforge.errors import ConfigError
from ganforge.rundir.atomic import write_text
from ganforge.rundir.layout import RunLayout

Row = Mapping[str, float]
IDS_FILE = "trackers.json"  # in the run directory: {tracker name: its run's id}


class Tracker:
    """One experiment tracker's callbacks (each does nothing here). ``wants_model``: it keeps
    the run's exported model (:meth:`on_model`), which is then written for it as the run ends."""

    wants_model = False

    def on_start(self, config: Mapping[str, Any], resumed: bool) -> None:
        """The run starts (or resumes): ``config`` is the run's config as plain data."""

    def on_log(self, rows: list[dict[str, float]]) -> None:
        """A log interval's per-step rows: ``step``, ``epoch``, ``time`` and the statistics."""

    def on_epoch(self, row: Row) -> None:
        """An epoch ended: its mean row (``step``, ``epoch``, ``time``, statistics)."""

    def on_grid(self, step: int, epoch: float, path: Path) -> None:
        """A sample grid (PNG) of the fixed latents was written at ``step``."""

    def on_eval(self, step: int, row: Row) -> None:
        """An evaluation during training (a row of ``metrics/eval.csv``)."""

    def on_model(self, folder: Path) -> None:
        """The run's generator, exported (``ganforge export``'s layout) into ``folder``, which
        is deleted after this call."""

    def on_end(self, summary: Mapping[str, Any]) -> None:
        """The run's outputs are written; ``summary`` is ``summary.json``'s content."""

    def close(self) -> None:
        """Flush and let go (after :meth:`on_end`, or after a failure without it)."""


class Trackers(Tracker):
    """All of a run's trackers, called in turn; closing them twice is harmless."""

    def __init__(self, trackers: list[Tracker] | None = None) -> None:
        self.trackers = list(trackers or [])

    def on_start(self, config: Mapping[str, Any], resumed: bool) -> None:
        for t in self.trackers:
            t.on_start(config, resumed)

    def on_log(self, rows: list[dict[str, float]]) -> None:
        for t in self.trackers:
            t.on_log(rows)

    def on_epoch(self, row: Row) -> None:
        for t in self.trackers:
            t.on_epoch(row)

    def on_grid(self, step: int, epoch: float, path: Path) -> None:
        for t in self.trackers:
            t.on_grid(step, epoch, path)

    def on_eval(self, step: int, row: Row) -> None:
        for t in self.trackers:
            t.on_eval(step, row)

    @property
    def wants_model(self) -> bool:  # type: ignore[override]
        return any(t.wants_model for t in self.trackers)

    def on_model(self, folder: Path) -> None:
        for t in self.trackers:
            if t.wants_model:
                t.on_model(folder)

    def on_end(self, summary: Mapping[str, Any]) -> None:
        for t in self.trackers:
            t.on_end(summary)

    def close(self) -> None:
        trackers, self.trackers = self.trackers, []
        for t in trackers:
            t.close()


def check_installed(names: tuple[str, ...]) -> None:
    """A one-line :class:`ConfigError` naming the pip extra of a tracker not installed."""
    for name in names:
        module, extra = TRACKERS[name]
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"--log-to {name} needs {module}, which is not installed: "
                f"pip install 'ganforge[{extra}]'"
            )


def open_trackers(
    names: tuple[str, ...], layout: RunLayout, stat_names: tuple[str, ...]
) -> Trackers:
    """The trackers ``names`` of the run in ``layout``, opened (their libraries imported)."""
    check_installed(names)
    opened: list[Tracker] = []
    for name in names:
        if name == "tensorboard":
            from ganforge.rundir.tensorboard import TensorBoardTracker

            opened.append(TensorBoardTracker(layout.tensorboard, stat_names))
        elif name == "mlflow":
            from ganforge.rundir.track_mlflow import MlflowTracker

            opened.append(MlflowTracker(layout, stat_names))
        elif name == "wandb":
            from ganforge.rundir.track_wandb import WandbTracker

            opened.append(WandbTracker(layout, stat_names))
    return Trackers(opened)


def tracker_id(layout: RunLayout, name: str) -> str | None:
    """The id of tracker ``name``'s run kept in the run directory, if any."""
    with contextlib.suppress(OSError, ValueError):
        value = json.loads(layout.at(IDS_FILE).read_text()).get(name)
        return value if isinstance(value, str) else None
    return None


def keep_tracker_id(layout: RunLayout, name: str, run_id: str) -> None:
    """Remember tracker ``name``'s run id, for a resume to continue that run."""
    ids: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        ids = dict(json.loads(layout.at(IDS_FILE).read_text()))
    ids[name] = run_id
    write_text(layout.at(IDS_FILE), json.dumps(ids, indent=2))


def metric_name(name: str) -> str:
    """A statistic's name as trackers accept it: ``D(x)`` → ``D_x``."""
    cleaned = "".join(c if c.isalnum() or c in "_-./ " else "_" for c in name)
    return cleaned.strip("_") or "_"


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"epochs": 2}}`` as ``{"train.epochs": 2}`` (lists as text)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = ",".join(map(str, value)) if isinstance(value, list | tuple) else value
    return out
