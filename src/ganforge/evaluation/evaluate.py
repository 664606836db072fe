"""Measuring a generator: sample it, embed the samples with the evaluator, compare with the
dataset's test split, and say exactly which protocol produced the numbers.

Protocol ("ganforge-eval/1"): features and classes from ganforge's own classifier of the
data's classes (128-d penultimate layer), real side = the dataset's whole test split (10,000
images for MNIST; the held-out or ``--test-data`` images for the user's own), fake side =
``n`` samples (default 10,000) from fixed seeds. On unlabelled data the features are those of
a network trained to tell rotations apart, and the class metrics are left out (the record
says why). FID is biased by sample size, so numbers are comparable only at equal ``n``; every
result records ``n``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor

from ganforge.data import DataSource
from ganforge.errors import DataError
from ganforge.evaluation.classifier import Evaluator, load_evaluator
from ganforge.evaluation.metrics import feature_metrics, summarize
from ganforge.generation import TrainedModel

PROTOCOL = "ganforge-eval/1"
IMAGE_ARRAYS = ("images", "samples")  # the names an .npz of samples may give its images
NO_CLASSES = (
    "left out: the data is unlabelled, so the evaluator was trained to tell rotations apart, "
    "not classes; FID, KID, precision/recall and density/coverage use its features"
)


@dataclass(frozen=True)
class RealReference:
    """The test split's features, logits and labels under one evaluator (computed once)."""

    features: Tensor
    logits: Tensor
    labels: Tensor
    num_classes: int


_REFERENCES: dict[tuple[str, str], RealReference] = {}


def real_reference(
    evaluator: Evaluator, dataset: str | DataSource, data_dir: Path | None = None
) -> RealReference:
    """Embed the test split of ``dataset`` (a known dataset's name, its files from
    ``data_dir``, or a :class:`~ganforge.data.DataSource`), cached in-process per evaluator
    and data."""
    test = DataSource.of(dataset, data_dir).load("test")
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
    if not evaluator.classifies:
        return _unlabelled(images, labels, evaluator, reference)
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


def _unlabelled(
    images: Tensor, labels: Tensor | None, evaluator: Evaluator, reference: RealReference
) -> dict[str, Any]:
    """The feature metrics of ``images`` under an evaluator of unlabelled data."""
    if labels is not None:
        raise DataError("the data is unlabelled: samples cannot have requested classes")
    features, _ = evaluator.embed(images)
    try:
        result = feature_metrics(reference.features, features)
    except ValueError as err:
        raise DataError(f"cannot evaluate {images.shape[0]} samples: {err}") from None
    identity = evaluator.identity()
    return {"protocol": PROTOCOL, "evaluator": identity, **result, "class_metrics": NO_CLASSES}


def sample_for_evaluation(
    model: TrainedModel, n: int, seed: int = 0
) -> tuple[Tensor, Tensor | None]:
    """``n`` uint8 samples from fixed latents; conditional recipes get balanced classes."""
    z = model.latents(seed, n)
    labels = torch.arange(n) % model.recipe.num_classes if model.conditional else None
    images = model.recipe.sample_images(z, labels)
    return model.transform.to_uint8(images).cpu(), labels


class SampleFile(NamedTuple):
    """A samples file read for evaluation: uint8 N×28×28 images, the classes asked for (if
    any), and what its pixels were (``uint8``, or the range of floats scaled to 0..255)."""

    images: Tensor
    labels: Tensor | None
    pixels: str


def load_sample_files(
    samples: Path, labels: Path | None = None, num_classes: int | None = None
) -> SampleFile:
    """Read a samples file, never unpickled: a ``.npy`` array (``ganforge sample --npy``), or
    an ``.npz`` archive whose images are its array ``images`` or ``samples`` (or its only
    array), with optionally a ``labels`` array beside them; or ``labels``, a ``.npy`` of one
    class per sample. Images are N×28×28 or N×1×28×28 with N ≥ 2, as uint8 (or integers in
    0..255) or floats in [0, 1] or [-1, 1] (scaled to 0..255); labels are integers in
    0..``num_classes``-1. Anything else is a one-line :class:`DataError` naming the file."""
    arrays = _load_arrays(samples, "samples")
    images, inner = _pick_images(arrays, samples)
    if inner is not None and labels is not None:
        raise DataError(
            f"{samples} holds a 'labels' array and --labels {labels} is given too; give the "
            "labels once"
        )
    u8, pixels = _as_uint8_images(images, samples)
    if labels is not None:
        label_arrays = _load_arrays(labels, "labels")
        if len(label_arrays) != 1:
            names = ", ".join(map(repr, label_arrays))  # repr: a name may hold a newline
            raise DataError(f"labels {labels} must be one array, got {len(label_arrays)}: {names}")
        inner = next(iter(label_arrays.values()))
    where = str(labels) if labels is not None else f"in {samples}"
    return SampleFile(u8, _as_labels(inner, u8.shape[0], where, num_classes), pixels)


def _load_arrays(path: Path, what: str) -> dict[str, np.ndarray]:
    """The arrays of a ``.npy`` (one, named "") or ``.npz`` file, never unpickled: an object
    array (which would run code on load) is refused with the file's name, like any
    unreadable file."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return {name: loaded[name] for name in loaded.files}
        return {"": loaded}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise DataError(f"cannot read {what} {path}: {err}") from None


def _pick_images(arrays: dict[str, np.ndarray], path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """The images of a file's arrays and its ``labels`` array (None if it has none)."""
    if "" in arrays:
        return arrays[""], None
    named = [name for name in IMAGE_ARRAYS if name in arrays]
    others = [name for name in arrays if name != "labels"]
    chosen = named if named else others
    if len(chosen) != 1:
        found = ", ".join(repr(name) for name in arrays) or "none"
        raise DataError(
            f"samples {path} must hold one array named 'images' or 'samples' (or a single "
            f"array), and optionally 'labels'; it holds {found}"
        )
    return arrays[chosen[0]], arrays.get("labels")


def _as_uint8_images(array: np.ndarray, path: Path) -> tuple[Tensor, str]:
    """``array`` as uint8 N×28×28 images, and what its pixels were."""
    shape = "×".join(map(str, array.shape)) or "a scalar"
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3 or array.shape[1:] != (28, 28):
        raise DataError(
            f"samples {path} must be N×28×28 or N×1×28×28 images (the evaluator's 28×28), "
            f"got {shape}"
        )
    if array.shape[0] < 2:
        n = array.shape[0]
        raise DataError(f"samples {path} holds {n} image(s); the metrics need 2 or more")
    kind = array.dtype.kind
    low, high = (array.min(), array.max()) if kind in "iuf" else (0, 0)
    if array.dtype == np.uint8:
        pixels, u8 = "uint8", array
    elif kind in "iu" and low >= 0 and high <= 255:
        pixels, u8 = "integers in 0..255", array.astype(np.uint8)
    elif kind == "f" and np.isfinite(array).all() and low >= -1 and high <= 1:
        zero_one = low >= 0
        pixels = f"floats in [{0 if zero_one else -1}, 1], scaled to 0..255"
        scaled = array * 255.0 if zero_one else (array.astype(np.float64) + 1.0) * 127.5
        u8 = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    else:
        got = f"{array.dtype} from {low} to {high}" if kind in "iuf" else str(array.dtype)
        raise DataError(
            f"samples {path} must be uint8 (or integers in 0..255) or finite floats in [0, 1] "
            f"or [-1, 1], got {got}"
        )
    return torch.from_numpy(np.ascontiguousarray(u8)), pixels


def _as_labels(
    array: np.ndarray | None, n: int, where: str, num_classes: int | None
) -> Tensor | None:
    """``array`` as int64 classes, one per sample, each in 0..``num_classes``-1."""
    if array is None:
        return None
    if array.shape != (n,):
        got = "×".join(map(str, array.shape)) or "a scalar"
        raise DataError(f"labels {where} must hold one class per sample ({n}), got {got}")
    if array.dtype.kind not in "iu":
        raise DataError(f"labels {where} must be integers, got {array.dtype}")
    top = "" if num_classes is None else f"..{num_classes - 1}"
    if n and (array.min() < 0 or (num_classes is not None and array.max() >= num_classes)):
        raise DataError(f"labels {where} must be classes 0{top}, got {array.min()}..{array.max()}")
    return torch.from_numpy(array.astype(np.int64))


def evaluator_for(
    dataset: str | DataSource, data_dir: Path | None = None, display: bool | None = None
) -> Evaluator:
    """The evaluator of ``dataset`` (a name, with ``data_dir``, or a
    :class:`~ganforge.data.DataSource`), trained on first use (with a progress display)."""
    return load_evaluator(dataset, data_dir, train_if_missing=True, display=display)
