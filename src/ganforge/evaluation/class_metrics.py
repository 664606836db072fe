"""Class statistics of the classifier's predictions: the class histogram, classes covered,
KL from uniform, conditional accuracy, and FID per class."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ganforge.evaluation.distribution_metrics import fid
from ganforge.evaluation.metric_inputs import (
    check_labels,
    check_num_classes,
    check_pair,
)


def class_histogram(logits: Tensor, num_classes: int) -> Tensor:
    """How many samples the classifier assigns to each class (argmax of the logits).

    Args:
        logits: ``N×num_classes`` classifier logits.
        num_classes: ``K``; the histogram has ``K`` bins even for classes never predicted.

    Returns:
        int64 tensor of ``K`` counts summing to ``N`` (on the logits' device).
    """
    check_num_classes(num_classes)
    if not isinstance(logits, Tensor) or logits.dim() != 2 or logits.shape[1] != num_classes:
        shape = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        raise ValueError(f"logits must be N×{num_classes}, got {shape}")
    return torch.bincount(logits.argmax(dim=1), minlength=num_classes)


def _check_histogram(hist: Tensor) -> Tensor:
    if not isinstance(hist, Tensor) or hist.dim() != 1 or hist.numel() == 0:
        raise ValueError("hist must be a non-empty 1-D tensor of class counts")
    if bool((hist < 0).any()):
        raise ValueError("hist must not hold negative counts")
    return hist.detach().to(torch.float64)


def classes_covered(hist: Tensor, min_fraction: float = 0.01) -> int:
    """Number of classes holding at least ``min_fraction`` of the samples.

    A bare "classes with a nonzero count" would call a class covered after one stray,
    probably misclassified, sample in 10,000; with the default 1 % a class counts only once
    it is a tenth of its fair share among 10 classes, which a mode-collapsed generator's
    rare classes do not reach.

    Args:
        hist: counts per class (``class_histogram``).
        min_fraction: the share of all samples a class needs (inclusive); ``0`` counts the
            classes seen at least once.

    Returns:
        The count, ``0`` for an empty histogram (no samples).
    """
    counts = _check_histogram(hist)
    if not 0.0 <= min_fraction <= 1.0:
        raise ValueError(f"min_fraction must lie in [0, 1], got {min_fraction}")
    total = float(counts.sum())
    if total == 0:
        return 0
    return int(((counts > 0) & (counts / total >= min_fraction)).sum())


def class_kl_from_uniform(hist: Tensor) -> float:
    r"""KL divergence of the predicted class distribution from the uniform one, in nats.

    .. math::
        \mathrm{KL}(\hat p \,\Vert\, U) = \sum_{c=1}^{K} \hat p_c \log(\hat p_c K),
        \qquad \hat p_c = \mathrm{hist}_c / \textstyle\sum \mathrm{hist}

    with :math:`0 \log 0 = 0`. It is 0 for perfectly balanced classes and ``log K`` when every
    sample falls into one class; it is only meaningful when the real data are balanced (MNIST
    nearly is).

    Args:
        hist: counts per class (``class_histogram``), not all zero.
    """
    counts = _check_histogram(hist)
    total = float(counts.sum())
    if total == 0:
        raise ValueError("class_kl_from_uniform needs at least one sample")
    p = counts / total
    seen = p > 0  # empty classes contribute 0·log 0 = 0
    return float((p[seen] * torch.log(p[seen] * counts.numel())).sum())


def conditional_accuracy(
    logits: Tensor, requested: Tensor, num_classes: int
) -> tuple[float, list[float]]:
    """How often the classifier recognises the class a conditional generator was asked for.

    Args:
        logits: ``N×num_classes`` classifier logits of the generated samples.
        requested: the ``N`` class labels the samples were generated for.
        num_classes: ``K``.

    Returns:
        ``(overall, per_class)``: the fraction of samples whose argmax equals the requested
        class, and the same per requested class (``NaN`` for classes never requested). The
        classifier's own error rate is included: compare with its accuracy on real data.
    """
    class_histogram(logits, num_classes)  # validates the logits' shape
    n = logits.shape[0]
    if n == 0:
        raise ValueError("conditional_accuracy needs at least one sample")
    requested = check_labels("requested", requested.to(logits.device), n, num_classes)
    correct = (logits.argmax(dim=1) == requested).to(torch.float64)
    asked = torch.bincount(requested, minlength=num_classes).to(torch.float64)
    hits = torch.bincount(requested, weights=correct, minlength=num_classes)
    per_class = [float(h / a) if a > 0 else math.nan for h, a in zip(hits, asked, strict=True)]
    return float(correct.mean()), per_class


def per_class_fid(
    real_features: Tensor,
    real_labels: Tensor,
    fake_features: Tensor,
    fake_labels: Tensor,
    num_classes: int,
    min_samples: int | None = None,
) -> list[float]:
    """FID between the real and the fake samples of each class (see :func:`fid`).

    A class gets ``NaN`` when either side has fewer than ``min_samples`` samples. The default,
    ``d + 1`` for ``d``-dimensional features, is the least that can give a full-rank sample
    covariance: below it the covariance is singular and FID's ``1/n`` bias dominates the
    number. Class sizes differ between runs, so per-class FIDs inherit FID's caveat: compare
    a class's value only between runs with similar counts for it.

    Args:
        real_features, real_labels: ``N×d`` features and true classes of real samples.
        fake_features, fake_labels: ``M×d`` features and requested classes of fakes.
        num_classes: ``K``, the length of the result.
        min_samples: the per-side minimum (at least 2); ``None`` means ``d + 1``.

    Returns:
        ``K`` FIDs, ``NaN`` where a class has too few samples.
    """
    check_num_classes(num_classes)
    real, fake = check_pair(real_features, fake_features, min_rows=0)
    real_labels = check_labels("real_labels", real_labels.to(real.device), len(real), num_classes)
    fake_labels = check_labels("fake_labels", fake_labels.to(fake.device), len(fake), num_classes)
    needed = real.shape[1] + 1 if min_samples is None else min_samples
    if not isinstance(needed, int) or needed < 2:
        raise ValueError(f"min_samples must be an integer >= 2, got {min_samples!r}")
    result = []
    for c in range(num_classes):
        real_c, fake_c = real[real_labels == c], fake[fake_labels == c]
        enough = min(len(real_c), len(fake_c)) >= needed
        result.append(fid(real_c, fake_c) if enough else math.nan)
    return result
