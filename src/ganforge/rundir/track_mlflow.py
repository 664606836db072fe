"""The MLflow tracker (``--log-to mlflow``, extra ``ganforge[mlflow]``): params, per-step
metrics, evaluations, sample grids and the exported model of a run (``model/``: the generator
in ``ganforge export``'s layout; the final checkpoint where nothing exported it), in a local
SQLite store inside the run directory (``mlflow.db``, artifacts under ``mlartifacts/``) unless
``MLFLOW_TRACKING_URI`` names another. ``mlflow ui --backend-store-uri sqlite:///RUN/mlflow.db``
shows it. A resume continues the same MLflow run (its id is kept in ``trackers.json``).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganforge.rundir.layout import RunLayout
from ganforge.rundir.trackers import (
    Row,
    Tracker,
    flatten,
    keep_tracker_id,
    metric_name,
    tracker_id,
)

EXPERIMENT = "ganforge"  # unless MLFLOW_EXPERIMENT_NAME names another
MAX_PARAM_CHARS = 500  # a longer config value is cut (MLflow refuses very long params)
BATCH = 500  # metrics per log_batch call (MLflow's limit is 1000)


class MlflowTracker(Tracker):
    """One MLflow run per ganforge run, written through :class:`mlflow.MlflowClient` (no
    global active run, so other MLflow use in the same process is left alone)."""

    wants_model = True

    def __init__(self, layout: RunLayout, stat_names: tuple[str, ...]) -> None:
        self.layout, self.stat_names = layout, stat_names
        self.client: Any = None
        self.run_id = ""
        self._ended = False
        self._model_logged = False

    @property
    def tracking_uri(self) -> str:
        """``MLFLOW_TRACKING_URI``, or the SQLite store in the run directory."""
        default = f"sqlite:///{(self.layout.root / 'mlflow.db').resolve()}"
        return os.environ.get("MLFLOW_TRACKING_URI") or default

    def on_start(self, config: Mapping[str, Any], resumed: bool) -> None:
        from mlflow import MlflowClient

        logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)  # "Creating ..."
        self.client = MlflowClient(tracking_uri=self.tracking_uri)
        known = tracker_id(self.layout, "mlflow")
        if known is not None and self._exists(known):
            self.run_id = known
            self.client.update_run(known, status="RUNNING")
        else:
            run = self.client.create_run(self._experiment(), run_name=self.layout.root.name)
            self.run_id = run.info.run_id
            keep_tracker_id(self.layout, "mlflow", self.run_id)
        self._params(flatten(config))

    def _exists(self, run_id: str) -> bool:
        try:
            self.client.get_run(run_id)
        except Exception:  # another store, or the run deleted: start a new one
            return False
        return True

    def _experiment(self) -> str:
        """The experiment's id, created where missing (artifacts beside the local store)."""
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or EXPERIMENT
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        location = None
        if "MLFLOW_TRACKING_URI" not in os.environ:
            location = (self.layout.root / "mlartifacts").resolve().as_uri()
        return self.client.create_experiment(name, artifact_location=location)

    def _params(self, params: dict[str, Any]) -> None:
        """Log the flattened config; on a resume only keys not logged yet (MLflow params never
        change: a changed value is kept as a ``resumed.KEY`` tag)."""
        from mlflow.entities import Param, RunTag

        logged = self.client.get_run(self.run_id).data.params
        new, tags = [], []
        for key, value in params.items():
            text = str(value)[:MAX_PARAM_CHARS]
            if key not in logged:
                new.append(Param(key, text))
            elif logged[key] != text:
                tags.append(RunTag(f"resumed.{key}", text))
        for i in range(0, len(new), 100):
            self.client.log_batch(self.run_id, params=new[i : i + 100])
        if tags:
            self.client.log_batch(self.run_id, tags=tags)

    def _metrics(self, step: int, values: Mapping[str, Any], prefix: str = "") -> list[Any]:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        return [
            Metric(prefix + metric_name(k), float(v), now, step)
            for k, v in values.items()
            if isinstance(v, int | float) and not math.isnan(v)
        ]

    def _log(self, metrics: list[Any]) -> None:
        for i in range(0, len(metrics), BATCH):
            self.client.log_batch(self.run_id, metrics=metrics[i : i + BATCH])

    def on_log(self, rows: list[dict[str, float]]) -> None:
        metrics = []
        for row in rows:
            stats = {k: row[k] for k in ("epoch", *self.stat_names)}
            metrics += self._metrics(int(row["step"]), stats)
        self._log(metrics)

    def on_epoch(self, row: Row) -> None:
        stats = {k: row[k] for k in self.stat_names}
        self._log(self._metrics(int(row["step"]), stats, "epoch_mean/"))

    def on_grid(self, step: int, epoch: float, path: Path) -> None:
        self.client.log_artifact(self.run_id, str(path), "grids")

    def on_eval(self, step: int, row: Row) -> None:
        values = {k: v for k, v in row.items() if k not in ("epoch", "step", "time")}
        self._log(self._metrics(step, values, "eval/"))

    def on_model(self, folder: Path) -> None:
        self.client.log_artifacts(self.run_id, str(folder), "model")
        self._model_logged = True

    def on_end(self, summary: Mapping[str, Any]) -> None:
        final = {k: v for k, v in summary.items() if isinstance(v, int | float)}
        self._log(self._metrics(int(summary.get("steps") or 0), final, "summary/"))
        files = [(self.layout.summary, None), (self.layout.config, None), (self.layout.gif, None)]
        if not self._model_logged:  # the model's weights at least, in the checkpoint
            files.append((self.layout.last_checkpoint, "checkpoints"))
        for path, folder in files:
            if path.exists():
                self.client.log_artifact(self.run_id, str(path), folder)
        self._ended = True

    def close(self) -> None:
        if self.client is not None and self.run_id:
            self.client.set_terminated(self.run_id, "FINISHED" if self._ended else "KILLED")
            self.client = None
