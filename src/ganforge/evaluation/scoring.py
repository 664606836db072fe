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

from ganforge.config.schema import CUSTOM_DATASET
from ganforge.data import DATASETS, load_dataset
from ganforge.errors import ConfigError, GanforgeError
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
    dataset: str | None = None,
    data_dir: Path | None = None,
    inception: InceptionFID | None = None,
) -> Scores:
    """``n`` samples (latent seed ``seed``) of the run's last checkpoint (or ``checkpoint``)
    against the test split of ``dataset`` (default: the run's); ``RUN_DIR/metrics.json`` by
    default (``./metrics.json`` for a checkpoint file)."""
    model = load_model(run_dir, checkpoint, device)
    images, requested = sample_for_evaluation(model, n, seed)
    source = {
        "run": str(run_dir),
        "checkpoint": str(model.checkpoint),
        "seed": seed,
        "recipe": model.config.recipe,
    }
    out = RunLayout(run_dir).metrics_json if Path(run_dir).is_dir() else Path("metrics.json")
    dataset = dataset or model.config.dataset
    if dataset == CUSTOM_DATASET:  # no evaluator is trained on a user's own images yet
        raise ConfigError(
            f"{run_dir} was trained on your own images ({model.config.data}); ganforge "
            "evaluate measures against mnist or fashion-mnist only: pass --dataset to "
            "score it against one of them"
        )
    name = model.config.recipe
    return score_images(images, requested, source, name, dataset, data_dir, inception, out)


def score_samples(
    samples: Path,
    labels: Path | None = None,
    dataset: str | None = None,
    data_dir: Path | None = None,
    inception: InceptionFID | None = None,
) -> Scores:
    """The images of a samples file (``.npy`` or ``.npz``, see :func:`load_sample_files`;
    their requested classes in it or in ``labels``) against the test split of ``dataset``
    (default MNIST); ``./metrics.json`` by default. Floats scaled to 0..255 are said so."""
    dataset = dataset or "mnist"
    num_classes = len(DATASETS[dataset].class_names)
    images, requested, pixels = load_sample_files(samples, labels, num_classes)
    source = {"samples": str(samples), "labels": str(labels) if labels else None}
    source["pixels"] = pixels
    name = Path(str(samples)).name
    out = Path("metrics.json")
    scores = score_images(images, requested, source, name, dataset, data_dir, inception, out)
    if pixels == "uint8":
        return scores
    return replace(scores, title=f"{scores.title}; samples were {pixels}")


def score_images(
    images: Tensor,
    requested: Tensor | None,
    source: dict[str, Any],
    name: str,
    dataset: str,
    data_dir: Path | None,
    inception: InceptionFID | None,
    default_out: Path,
) -> Scores:
    """``images`` (uint8) scored by the dataset's evaluator, ``source`` recorded with them,
    and with ``inception`` their Inception-V3 FID."""
    evaluator = evaluator_for(dataset, data_dir)
    reference = real_reference(evaluator, dataset, data_dir)
    result = {**evaluate_images(images, requested, evaluator, reference), "source": source}
    if inception is not None:
        result.update(inception_metrics(inception, images, dataset, data_dir))
    title = f"{result['n_fake']:,} samples vs {dataset}'s test split ({result['n_real']:,})"
    return Scores({name: result}, title, result, default_out)


def calibrate(dataset: str = "mnist", data_dir: Path | None = None) -> Scores:
    """The calibration sets (real, blurred, one class, noise, ...) of the training split
    scored against the test split; ``./calibration.json`` by default."""
    evaluator = evaluator_for(dataset, data_dir)
    reference = real_reference(evaluator, dataset, data_dir)
    train = load_dataset(dataset, "train", data_dir)
    results = run_calibration(train, evaluator, reference)
    title = f"calibration on {dataset}: 10,000 images per set vs the test split"
    record = {"dataset": dataset, "sets": results}
    return Scores(results, title, record, Path("calibration.json"))


def inception_metrics(
    net: InceptionFID, images: Tensor, dataset: str, data_dir: Path | None
) -> dict[str, Any]:
    """``inception_fid`` of ``images`` against the test split, with its protocol and weights."""
    test = load_dataset(dataset, "test", data_dir)
    cache = real_cache_path(dataset, test.fingerprint, net.weights["sha256"])
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
