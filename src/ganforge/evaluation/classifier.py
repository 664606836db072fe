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

from ganforge.data import load_dataset
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
    dataset: str = "mnist",
    data_dir: Path | None = None,
    train_if_missing: bool = True,
    display: bool | None = None,
) -> Evaluator:
    """The cached evaluator for ``dataset``'s train split (``data_dir`` resolved as by
    :func:`~ganforge.data.load_dataset`), trained first if there is none and
    ``train_if_missing``. Raises :class:`CheckpointError` for a corrupt or modified cache file
    and :class:`GanforgeError` when there is none and training is off."""
    train = load_dataset(dataset, "train", data_dir)
    path = evaluator_path(dataset, train.fingerprint)
    try:
        stamp = file_stamp(path)
    except FileNotFoundError:
        forget(path)
        if not train_if_missing:
            hint = f" --data-dir {data_dir}" if data_dir is not None else ""
            raise GanforgeError(
                f"no evaluator for {dataset} (training data {train.fingerprint}) in "
                f"{path.parent}; run `ganforge evaluator train --dataset {dataset}{hint}`"
            ) from None
        return train_evaluator(dataset, data_dir, display=display)
    cached = recall(path, stamp)
    if cached is not None:
        return cached
    evaluator = read_evaluator(path)
    if evaluator.dataset != dataset or evaluator.data_fingerprint != train.fingerprint:
        raise CheckpointError(
            f"{path} holds an evaluator for {evaluator.dataset} data "
            f"{evaluator.data_fingerprint}, not for {dataset} data {train.fingerprint}; delete it"
        )
    remember(evaluator, stamp)
    return evaluator
