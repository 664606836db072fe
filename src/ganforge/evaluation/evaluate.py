"""Measuring a generator: sample it, embed the samples with the evaluator, compare with the
dataset's test split, and say exactly which protocol produced the numbers.

Protocol ("ganforge-eval/1"): features and classes from ganforge's own MNIST-family
classifier (128-d penultimate layer), real side = the dataset's whole test split (10,000
images), fake side = ``n`` samples (default 10,000) from fixed seeds. FID is biased by sample
size, so numbers are comparable only at equal ``n``; every result records ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganforge.data import load_dataset
from ganforge.errors import DataError
from ganforge.evaluation.classifier import Evaluator, load_evaluator
from ganforge.evaluation.metrics import summarize
from ganforge.generation import TrainedModel

PROTOCOL = "ganforge-eval/1"


@dataclass(frozen=True)
class RealReference:
    """The test split's features, logits and labels under one evaluator (computed once)."""

    features: Tensor
    logits: Tensor
    labels: Tensor
    num_classes: int


_REFERENCES: dict[tuple[str, str], RealReference] = {}


def real_reference(evaluator: Evaluator, dataset: str, data_dir: Path | None) -> RealReference:
    """Embed the dataset's test split (cached in-process per evaluator and data)."""
    test = load_dataset(dataset, "test", data_dir)
    key = (evaluator.weights_hash, test.fingerprint)
    if key not in _REFERENCES:
        features, logits = evaluator.embed(test.images)
        _REFERENCES[key] = RealReference(features, logits, test.labels, test.num_classes)
    return _REFERENCES[key]


def evaluate_images(
    images: Tensor,
    labels: Tensor | None,
    evaluator: Evaluator,
    reference: RealReference,
) -> dict[str, Any]:
    """All metrics for uint8 N×28×28 ``images`` (``labels``: the classes asked for, if any)."""
    if images.dtype != torch.uint8 or images.dim() != 3 or tuple(images.shape[1:]) != (28, 28):
        raise DataError(
            f"samples must be uint8 N×28×28, got {str(images.dtype).removeprefix('torch.')} "
            f"{'×'.join(map(str, images.shape))}"
        )
    if labels is not None and labels.shape != (images.shape[0],):
        raise DataError(
            f"labels must hold one class per sample ({images.shape[0]}), got {labels.shape}"
        )
    if (
        labels is not None
        and labels.numel()
        and not 0 <= int(labels.min()) <= int(labels.max()) < reference.num_classes
    ):
        raise DataError(f"labels must be classes 0..{reference.num_classes - 1}")
    features, logits = evaluator.embed(images)
    try:
        result = summarize(
            reference.features,
            reference.logits,
            reference.labels,
            features,
            logits,
            labels,
            reference.num_classes,
        )
    except ValueError as err:  # e.g. too few samples for the metrics' subsets and splits
        raise DataError(f"cannot evaluate {images.shape[0]} samples: {err}") from None
    return {"protocol": PROTOCOL, "evaluator": evaluator.identity(), **result}


def sample_for_evaluation(
    model: TrainedModel, n: int, seed: int = 0
) -> tuple[Tensor, Tensor | None]:
    """``n`` uint8 samples from fixed latents; conditional recipes get balanced classes."""
    z = model.latents(seed, n)
    labels = torch.arange(n) % model.recipe.num_classes if model.conditional else None
    images = model.recipe.sample_images(z, labels)
    return model.transform.to_uint8(images).cpu(), labels


def load_sample_files(samples: Path, labels: Path | None) -> tuple[Tensor, Tensor | None]:
    """Read ``ganforge sample --npy`` output (uint8 N×28×28, optional int labels)."""
    array = _load_npy(samples, "samples")
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[1:] != (28, 28):
        # Checked here, before torch sees the array: it cannot take a string, a byte-swapped
        # or a structured array (a TypeError or ValueError traceback), nor need it.
        shape = "×".join(map(str, array.shape)) or "a scalar"
        raise DataError(f"samples must be uint8 N×28×28, got {array.dtype} {shape} in {samples}")
    label_array = None if labels is None else _load_npy(labels, "labels")
    images = torch.from_numpy(np.ascontiguousarray(array))
    if label_array is None:
        return images, None
    if not np.issubdtype(label_array.dtype, np.integer):
        raise DataError(f"labels {labels} must be integers, got {label_array.dtype}")
    if label_array.shape != (len(array),):  # before a copy: (2**62, 0) holds nothing, yet
        raise DataError(  # as int64 would be too big for NumPy (a ValueError traceback)
            f"labels {labels} must hold one class per sample ({len(array)}), "
            f"got shape {label_array.shape}"
        )
    return images, torch.from_numpy(label_array.astype(np.int64))


def _load_npy(path: Path, what: str) -> np.ndarray:
    """One .npy array, never unpickled: an object array (which would run code on load) is
    refused with the file's name, like any unreadable file."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:  # EOFError: an empty file
        raise DataError(f"cannot read {what} {path}: {err}") from None


def evaluator_for(dataset: str, data_dir: Path | None, display: bool | None = None) -> Evaluator:
    """The dataset's evaluator, trained on first use (with a progress display)."""
    return load_evaluator(dataset, data_dir, train_if_missing=True, display=display)
