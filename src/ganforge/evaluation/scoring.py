"""What ``ganforge evaluate`` measures: samples of a run, or a samples file, against the test
split (and on request the literature's Inception-V3 FID), or the calibration sets.

Each gives a :class:`Scores`: the rows of its table, the title, the JSON record to write and
where it goes by default. Nothing is written here: the command writes the record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from torch import Tensor

from ganforge.config import RunConfig
from ganforge.data import DATASETS, DataSource
from ganforge.errors import DataError, GanforgeError
from ganforge.evaluation.calibration import run_calibration
from ganforge.evaluation.evaluate import (
    evaluate_images,
    evaluator_for,
    load_sample_files,
    real_reference,
    sample_for_evaluation,
)
from ganforge.evaluation.inception import InceptionFID, real_cache_path
from ganforge.generation import load_model
from ganforge.rundir.layout import RunLayout
from ganforge.setup.data import data_source


@dataclass(frozen=True)
class Scores:
    """One evaluation: a row of metrics per scored set (its name first), the table's title,
    the JSON record and the file it goes to unless told otherwise."""

    sets: dict[str, dict[str, Any]]
    title: str
    record: dict[str, Any]
    default_out: Path


def score_run(
    run_dir: Path,
    n: int,
    seed: int,
    checkpoint: Path | None = None,
    device: str = "cpu",
    data: DataSource | str | None = None,
    data_dir: Path | None = None,
    inception: InceptionFID | None = None,
) -> Scores:
    """``n`` samples (latent seed ``seed``) of the run's last checkpoint (or ``checkpoint``)
    against the test split of ``data`` (a :class:`~ganforge.data.DataSource` or a known
    dataset's name; default: the run's own data, found by its config); ``RUN_DIR/metrics.json``
    by default (``./metrics.json`` for a checkpoint file)."""
    model = load_model(run_dir, checkpoint, device)
    images, requested = sample_for_evaluation(model, n, seed)
    source = {
        "run": str(run_dir),
        "checkpoint": str(model.checkpoint),
        "seed": seed,
        "recipe": model.config.recipe,
    }
    out = RunLayout(run_dir).metrics_json if Path(run_dir).is_dir() else Path("metrics.json")
    real = run_data(model.config, data, data_dir)
    name = model.config.recipe
    return score_images(images, requested, source, name, real, inception, out)


def run_data(cfg: RunConfig, data: DataSource | str | None, data_dir: Path | None) -> DataSource:
    """The real images a run is measured against: ``data`` if given, else the run's own
    (the user's data found again by its path, or a one-line error naming it)."""
    if data is not None:
        return DataSource.of(data, data_dir)
    source = data_source(cfg, data_dir)
    for flag, path in (("--data", source.data), ("--test-data", source.test_data)):
        if path is not None and not path.exists():
            raise DataError(
                f"{path}, the data this run was trained on, is gone; pass {flag} PATH to the "
                "same images to measure against them"
            )
    return source


def score_samples(
    samples: Path,
    labels: Path | None = None,
    data: DataSource | str | None = None,
    data_dir: Path | None = None,
    inception: InceptionFID | None = None,
) -> Scores:
    """The images of a samples file (``.npy`` or ``.npz``, see :func:`load_sample_files`;
    their requested classes in it or in ``labels``) against the test split of ``data``
    (default MNIST); ``./metrics.json`` by default. Floats scaled to 0..255 are said so."""
    real = DataSource.of(data or "mnist", data_dir)
    # A known dataset's classes are known without its files: a bad samples file is said first.
    known = DATASETS.get(real.dataset)
    num_classes = len(known.class_names) if known else real.load("test").num_classes
    images, requested, pixels = load_sample_files(samples, labels, num_classes)
    source = {"samples": str(samples), "labels": str(labels) if labels else None}
    source["pixels"] = pixels
    name = Path(str(samples)).name
    out = Path("metrics.json")
    scores = score_images(images, requested, source, name, real, inception, out)
    if pixels == "uint8":
        return scores
    return replace(scores, title=f"{scores.title}; samples were {pixels}")


def score_images(
    images: Tensor,
    requested: Tensor | None,
    source: dict[str, Any],
    name: str,
    real: DataSource,
    inception: InceptionFID | None,
    default_out: Path,
) -> Scores:
    """``images`` (uint8) scored by the evaluator of ``real``, ``source`` recorded with
    them, and with ``inception`` their Inception-V3 FID."""
    evaluator = evaluator_for(real)
    reference = real_reference(evaluator, real)
    result = {**evaluate_images(images, requested, evaluator, reference), "source": source}
    if inception is not None:
        result.update(inception_metrics(inception, images, real))
    title = f"{result['n_fake']:,} samples vs {real.name}'s test split ({result['n_real']:,})"
    return Scores({name: result}, title, result, default_out)


def calibrate(data: DataSource | str = "mnist", data_dir: Path | None = None) -> Scores:
    """The calibration sets (real, blurred, one class, noise, ...) of the training split
    scored against the test split; ``./calibration.json`` by default."""
    real = DataSource.of(data, data_dir)
    evaluator = evaluator_for(real)
    reference = real_reference(evaluator, real)
    train = real.load("train")
    results = run_calibration(train, evaluator, reference)
    title = f"calibration on {real.name}: 10,000 images per set vs the test split"
    record = {"dataset": real.dataset, "sets": results}
    if real.data is not None:
        record["data"] = str(real.data)
    return Scores(results, title, record, Path("calibration.json"))


def inception_metrics(net: InceptionFID, images: Tensor, real: DataSource) -> dict[str, Any]:
    """``inception_fid`` of ``images`` against the test split, with its protocol and weights."""
    test = real.load("test")
    cache = real_cache_path(real.dataset, test.fingerprint, net.weights["sha256"])
    try:
        value = net.score(test.images, images, real_cache=cache)
    except RuntimeError as err:  # out of memory, most likely: one line, nothing written
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise GanforgeError(
            f"Inception-V3 FID failed ({first[:200]}); nothing written: lower the memory "
            "pressure or run without --inception for the other metrics"
        ) from None
    return {
        "inception_fid": value,
        "inception_protocol": net.protocol(test.images.shape[0], images.shape[0]),
        "inception_weights": net.weights,
    }
