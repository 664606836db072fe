"""``ganforge.evaluate``: the numbers of ``ganforge evaluate`` (FID, KID, precision/recall,
density/coverage, IS, class metrics) as a :class:`Scores` object, for a model, a run, a
samples file, or the calibration sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganforge.api.model import Model
from ganforge.api.run import Run
from ganforge.data import CUSTOM, HOLDOUT, DataSource
from ganforge.errors import ConfigError
from ganforge.evaluation import scoring
from ganforge.evaluation.inception import load_inception
from ganforge.progress import stderr_console
from ganforge.reporting.metric_format import METRIC_FORMATS, format_metric, number
from ganforge.rundir.atomic import write_text
from ganforge.setup.build import resolve_device

__all__ = ["Scores", "data_source_of", "evaluate"]

N_MIN, N_MAX = 100, 100_000  # samples drawn from a run


class Scores:
    """One evaluation: :attr:`metrics` of the (first) scored set, by key (``scores["fid"]``),
    every set's in :attr:`sets`, the JSON :attr:`record` ``ganforge evaluate`` writes, and
    :meth:`save` to write it. Its ``repr`` is the metrics as the CLI formats them."""

    def __init__(self, scores: scoring.Scores) -> None:
        self.scores = scores
        self.title: str = scores.title
        self.sets: dict[str, dict[str, Any]] = scores.sets
        self.record: dict[str, Any] = scores.record

    @property
    def metrics(self) -> dict[str, Any]:
        """The first scored set's metrics (a run's or a samples file's)."""
        return next(iter(self.sets.values()), {})

    def __getitem__(self, key: str) -> Any:
        return self.metrics[key]

    def save(self, path: str | Path | None = None) -> Path:
        """Write the JSON record to ``path`` (default: ``RUN_DIR/metrics.json``, else
        ``./metrics.json``), as ``ganforge evaluate`` does; returns the path."""
        out = Path(path) if path is not None else self.scores.default_out
        write_text(out, json.dumps(self.record, indent=2))
        return out

    def __repr__(self) -> str:
        rows = []
        for name, row in self.sets.items():
            shown = [k for k in METRIC_FORMATS if number(row.get(k)) is not None]
            cells = ", ".join(
                f"{METRIC_FORMATS[k].header} {format_metric(k, row[k])}" for k in shown
            )
            rows.append(f"  {name}: {cells}")
        return f"Scores({self.title}\n" + "\n".join(rows) + "\n)"


def _cell(key: str, value: Any) -> str:
    return f"{METRIC_FORMATS[key].header} {format_metric(key, value)}"


def data_source_of(
    dataset: str | None,
    data: str | Path | None,
    test_data: str | Path | None = None,
    holdout: float | None = None,
    default: str | None = "mnist",
) -> DataSource | None:
    """The images that ``dataset`` (``default`` when not given: None for a run's own) or
    ``data`` with its ``test_data`` or ``holdout`` name; a one-line :class:`ConfigError`
    when both name a training set, or the test split is given without ``data``."""
    if data is None:
        for flag, value in (("--test-data", test_data), ("--holdout", holdout)):
            if value is not None:
                raise ConfigError(
                    f"{flag} is the test split of your own images; it needs --data PATH too"
                )
        dataset = dataset or default
        return None if dataset is None else DataSource.of(dataset)
    if dataset is not None:
        raise ConfigError(f"--data {data} and --dataset {dataset} name two training sets; give one")
    test = None if test_data is None else Path(test_data)
    return DataSource(CUSTOM, None, Path(data), test, HOLDOUT if holdout is None else holdout)


def evaluate(
    model: Model | Run | str | Path | None = None,
    *,
    n: int = 10_000,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    samples: str | Path | None = None,
    labels: str | Path | None = None,
    calibration: bool = False,
    dataset: str | None = None,
    data: str | Path | None = None,
    test_data: str | Path | None = None,
    holdout: float | None = None,
    data_dir: str | Path | None = None,
    inception: bool = False,
) -> Scores:
    """Measure samples against the dataset's test split, as ``ganforge evaluate`` does (its
    keywords are the command's flags): ``n`` samples of latent seed ``seed`` from ``model``
    (a :class:`Model`, a :class:`Run`, a run directory or a checkpoint), or the images in
    ``samples`` (with ``labels``), or with ``calibration=True`` the known sets. The real
    images: the run's own data, or ``dataset`` / ``data`` (+ ``test_data``, ``holdout``).
    Nothing is written: :meth:`Scores.save` writes ``metrics.json``."""
    if sum(x is not None for x in (model, samples)) + calibration != 1:
        raise ConfigError("evaluate needs exactly one of RUN_DIR, --samples FILE or --calibration")
    if inception and calibration:
        raise ConfigError("--inception scores a run or --samples, not --calibration")
    if not N_MIN <= n <= N_MAX:  # the bounds of `ganforge evaluate --n`
        raise ConfigError(f"--n must be in {N_MIN}..{N_MAX:,}, got {n}")
    if isinstance(model, Model):
        checkpoint = checkpoint or model.checkpoint
        device = device or str(model.device)
        model = model.path
    elif isinstance(model, Run):
        model = model.dir
    device = device or "cpu"
    # The preflight: without torch-fidelity or its weights, stop here, before any sampling.
    net = (
        load_inception(resolve_device(device), progress=stderr_console().is_terminal)
        if (inception)
        else None
    )
    real = data_source_of(dataset, data, test_data, holdout, default=None)
    where = None if data_dir is None else Path(data_dir)
    if model is not None:
        ckpt = None if checkpoint is None else Path(checkpoint)
        found = scoring.score_run(Path(model), n, seed, ckpt, device, real, where, net)
    elif samples is not None:
        lab = None if labels is None else Path(labels)
        found = scoring.score_samples(Path(samples), lab, real, where, net)
    else:
        found = scoring.calibrate(real or "mnist", where)
    return Scores(found)
