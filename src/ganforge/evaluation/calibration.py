"""Calibration: what the metrics say about sets whose quality is known.

Real training images against the test split must score far better than the same images
blurred (Gaussian σ = 0.5, then σ = 1), which score far better than noise. Ten thousand
images of one class must show low recall and coverage and a high class KL; on unlabelled data,
one cluster of the evaluator's features (k-means, :data:`CLUSTERS` of them) stands in for a
class, the mode collapse a generator can show without labels to see it by. Stroke fragments
(a real digit with all but a random 10×10 window blacked out) are the precision trap: they
activate the classifier weakly and can land in the few wide k-NN balls of atypical real
images, so their precision can look fine while FID, recall and coverage expose them.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ganforge.data import ImageData
from ganforge.evaluation.classifier import Evaluator
from ganforge.evaluation.evaluate import RealReference, evaluate_images

ONE_CLASS = 1
CLUSTERS = 10  # k-means clusters of unlabelled data's features, one of which stands for a class
KMEANS_ROUNDS = 30


def blurred(images: Tensor, sigma: float) -> Tensor:
    """Gaussian blur of uint8 N×28×28 images (kernel ±3σ), back to uint8."""
    size = 2 * max(1, round(3 * sigma)) + 1
    # Imported here: torchvision adds ~2 s to every `ganforge` command's start otherwise.
    from torchvision.transforms.functional import gaussian_blur

    x = gaussian_blur(images.unsqueeze(1).float(), [size, size], [sigma, sigma])
    return x.squeeze(1).round().clamp(0, 255).to(torch.uint8)


def stroke_fragments(images: Tensor, window: int = 10, seed: int = 0) -> Tensor:
    """Each image blacked out except one random ``window``×``window`` square."""
    g = torch.Generator().manual_seed(seed)
    n = images.shape[0]
    top = torch.randint(0, 28 - window + 1, (n,), generator=g)
    left = torch.randint(0, 28 - window + 1, (n,), generator=g)
    rows = torch.arange(28)
    keep_r = (rows >= top[:, None]) & (rows < top[:, None] + window)
    keep_c = (rows >= left[:, None]) & (rows < left[:, None] + window)
    mask = keep_r[:, :, None] & keep_c[:, None, :]
    return images * mask


def calibration_sets(
    train: ImageData, n: int = 10_000, seed: int = 0, evaluator: Evaluator | None = None
) -> dict[str, tuple[Tensor, Tensor | None]]:
    """The calibration sets: name → (``n`` uint8 images, their labels for the real set only).

    Real images' "requested" classes are their own labels, so their class accuracy is the
    classifier's own accuracy on them. Without an ``evaluator`` that classifies, the one
    class is the largest of :data:`CLUSTERS` k-means clusters of its features (a
    ``evaluator`` is then needed), and the real set has no requested classes.
    """
    g = torch.Generator().manual_seed(seed)
    pool = train.images.shape[0]
    idx = torch.randperm(pool, generator=g)[:n] if n <= pool else torch.randint(0, pool, (n,))
    real = train.images[idx]
    classifies = evaluator is None or evaluator.classifies
    one, one_name = _one_class(train, evaluator, seed) if not classifies else _a_class(train)
    return {
        "real (train split)": (real, train.labels[idx] if classifies else None),
        "blurred σ=0.5": (blurred(real, 0.5), None),
        "blurred σ=1": (blurred(real, 1.0), None),
        one_name: (one[torch.randint(0, one.shape[0], (n,), generator=g)], None),
        "stroke fragments": (stroke_fragments(real, seed=seed), None),
        "uniform noise": (torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8), None),
    }


def _a_class(train: ImageData) -> tuple[Tensor, str]:
    """The images of one class (the second, or the only one), and the set's name."""
    cls = ONE_CLASS if train.num_classes > ONE_CLASS else 0
    return train.images[train.labels == cls], f"one class ({train.class_names[cls]})"


def _one_class(train: ImageData, evaluator: Evaluator | None, seed: int) -> tuple[Tensor, str]:
    """The images of the largest k-means cluster of the evaluator's features of ``train``
    (at most 10,000 of them), and the set's name."""
    if evaluator is None:
        raise ValueError("unlabelled data needs the evaluator to find its clusters")
    images = train.images[:10_000]
    features, _ = evaluator.embed(images)
    assigned = kmeans(features.double(), min(CLUSTERS, images.shape[0]), seed)
    largest = int(torch.bincount(assigned).argmax())
    return images[assigned == largest], f"one cluster (1 of {CLUSTERS}, k-means)"


def kmeans(points: Tensor, k: int, seed: int = 0, rounds: int = KMEANS_ROUNDS) -> Tensor:
    """Lloyd's k-means of ``points`` (N×d) from ``k`` seeded random points: the cluster of
    each point (int64 N). A cluster left empty keeps its centre."""
    g = torch.Generator().manual_seed(seed)
    centres = points[torch.randperm(points.shape[0], generator=g)[:k]].clone()
    assigned = torch.zeros(points.shape[0], dtype=torch.int64)
    for _ in range(rounds):
        assigned = torch.cdist(points, centres).argmin(dim=1)
        for c in range(k):
            members = points[assigned == c]
            if members.shape[0]:
                centres[c] = members.mean(dim=0)
    return assigned


def run_calibration(
    train: ImageData, evaluator: Evaluator, reference: RealReference, n: int = 10_000
) -> dict[str, dict[str, Any]]:
    """Every calibration set's metrics against the test split."""
    return {
        name: evaluate_images(images, labels, evaluator, reference)
        for name, (images, labels) in calibration_sets(train, n, evaluator=evaluator).items()
    }
