"""The evaluator: a compact CNN classifier per dataset whose 128-d penultimate layer gives the
features and whose softmax gives the class that the metrics use.

ganforge trains it itself on the dataset's training split (no downloaded weights; the same
data and seed give the same network), the first time it is needed, and caches it as a
safetensors file in ``ganforge_home() / "evaluators"``, named by the hash of the training
data. Every metrics file records the evaluator's identity (dataset, data fingerprint, weights
hash, test accuracy), because numbers from different feature networks are not comparable.
Loading verifies that the weights still hash to the value recorded when they were trained.

This module owns finding the evaluator (:func:`load_evaluator`: cached, or trained on first
use) and is the evaluator's public entry point; the network and its identity live in
:mod:`~ganforge.evaluation.classifier_net`, its training in
:mod:`~ganforge.evaluation.classifier_training`, its cache file in
:mod:`~ganforge.evaluation.classifier_cache`.
"""

from __future__ import annotations

from pathlib import Path

from ganforge.data import DataSource
from ganforge.errors import CheckpointError, GanforgeError
from ganforge.evaluation.classifier_cache import (
    evaluator_path,
    file_stamp,
    forget,
    read_evaluator,
    recall,
    remember,
)
from ganforge.evaluation.classifier_net import Evaluator, EvaluatorNet, weights_hash
from ganforge.evaluation.classifier_training import train_evaluator

__all__ = [
    "Evaluator",
    "EvaluatorNet",
    "evaluator_path",
    "load_evaluator",
    "train_evaluator",
    "weights_hash",
]


def load_evaluator(
    dataset: str | DataSource = "mnist",
    data_dir: Path | None = None,
    train_if_missing: bool = True,
    display: bool | None = None,
) -> Evaluator:
    """The cached evaluator for the training split of ``dataset`` (a known dataset's name,
    its files from ``data_dir`` as :func:`~ganforge.data.load_dataset` finds them, or a
    :class:`~ganforge.data.DataSource`), trained first if there is none and
    ``train_if_missing``. Raises :class:`CheckpointError` for a corrupt or modified cache file
    and :class:`GanforgeError` when there is none and training is off."""
    source = DataSource.of(dataset, data_dir)
    train = source.load("train")
    path = evaluator_path(source.dataset, train.fingerprint)
    try:
        stamp = file_stamp(path)
    except FileNotFoundError:
        forget(path)
        if not train_if_missing:
            raise GanforgeError(
                f"no evaluator for {source.name} (training data {train.fingerprint}) in "
                f"{path.parent}; run `ganforge evaluator train {_flags(source)}`"
            ) from None
        return train_evaluator(source, display=display)
    cached = recall(path, stamp)
    if cached is not None:
        return cached
    evaluator = read_evaluator(path)
    if evaluator.dataset != source.dataset or evaluator.data_fingerprint != train.fingerprint:
        raise CheckpointError(
            f"{path} holds an evaluator for {evaluator.dataset} data "
            f"{evaluator.data_fingerprint}, not for {source.dataset} data {train.fingerprint}; "
            "delete it"
        )
    remember(evaluator, stamp)
    return evaluator


def _flags(source: DataSource) -> str:
    """The options that name ``source`` on the command line."""
    if source.data is not None:
        test = f" --test-data {source.test_data}" if source.test_data is not None else ""
        return f"--data {source.data}{test}"
    where = f" --data-dir {source.data_dir}" if source.data_dir is not None else ""
    return f"--dataset {source.dataset}{where}"
