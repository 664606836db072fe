"""Sample-quality metrics on feature and logit matrices (never on images): the public face of
the metric modules, and :func:`summarize`, every metric at once.

Every function takes the classifier's outputs for a set of real and a set of generated
(fake) samples — features ``N×d`` and logits ``N×K`` — so each can be tested on synthetic
points with hand-computed answers. FID, KID and the Inception Score are delegated to
torchmetrics (:mod:`~ganforge.evaluation.distribution_metrics`); the nearest-neighbour metrics
(:mod:`~ganforge.evaluation.neighbour_metrics`) and the class statistics
(:mod:`~ganforge.evaluation.class_metrics`) are implemented here in ganforge.

Which numbers are comparable: FID and the nearest-neighbour metrics depend on the sample
sizes, so compare them only at equal ``n_real`` and ``n_fake`` (``summarize`` reports both).
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from ganforge.evaluation.class_metrics import (
    class_histogram,
    class_kl_from_uniform,
    classes_covered,
    conditional_accuracy,
    per_class_fid,
)
from ganforge.evaluation.distribution_metrics import fid, inception_score, kid
from ganforge.evaluation.metric_inputs import (
    check_labels,
    check_matrix,
    check_num_classes,
    check_pair,
)
from ganforge.evaluation.neighbour_metrics import (
    CHUNK_ROWS,
    DC_K,
    PR_K,
    ball_metrics,
    density_coverage,
    precision_recall,
)

__all__ = [
    "class_histogram",
    "class_kl_from_uniform",
    "classes_covered",
    "conditional_accuracy",
    "density_coverage",
    "feature_metrics",
    "fid",
    "inception_score",
    "kid",
    "per_class_fid",
    "precision_recall",
    "summarize",
]


def _json_float(x: float) -> float | None:
    """``x`` as a JSON-safe value: JSON has no NaN or infinity, so those become ``None``."""
    x = float(x)
    return x if math.isfinite(x) else None


def summarize(
    real_features: Tensor,
    real_logits: Tensor,
    real_labels: Tensor,
    fake_features: Tensor,
    fake_logits: Tensor,
    fake_labels: Tensor | None,
    num_classes: int,
    *,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Every metric of this module in one JSON-serialisable dict (NaN and ±inf → ``None``).

    Keys: ``n_real``, ``n_fake``, ``fid``, ``kid_mean``, ``kid_std``, ``kid_subset_size``
    (after clamping), ``precision``, ``recall`` (k=3), ``density``, ``coverage`` (k=5),
    ``inception_score_mean``/``_std`` (10 splits) and, as the reference a perfect generator
    would reach, ``real_inception_score_mean``/``_std`` and ``real_class_accuracy`` (the
    classifier's accuracy on the real samples); ``class_histogram`` (list), ``classes_covered``
    (1 % threshold), ``class_kl``; with ``fake_labels`` also ``class_accuracy``,
    ``class_accuracy_per_class`` and ``per_class_fid`` (lists of ``K``).

    Args:
        real_features, real_logits, real_labels: the real reference set (``N`` rows each).
        fake_features, fake_logits: the generated set (``M`` rows each).
        fake_labels: the classes the fakes were generated for, or ``None`` if unconditional.
        num_classes: ``K``.
        kid_subsets, kid_subset_size: see :func:`kid`.
        seed: seeds KID's subsets and the IS shuffles.

    Needs at least 10 samples per set (the IS splits; precision/recall and density/coverage
    need more than 3 and 5).
    """
    real, fake, real_logits, fake_logits, real_labels = _checked(
        real_features, real_logits, real_labels, fake_features, fake_logits, num_classes
    )
    result = _unconditional(
        real,
        real_logits,
        real_labels,
        fake,
        fake_logits,
        num_classes,
        kid_subsets,
        kid_subset_size,
        seed,
    )
    if fake_labels is not None:
        result |= _conditional(real, real_labels, fake, fake_logits, fake_labels, num_classes)
    return result


def _checked(
    real_features: Tensor,
    real_logits: Tensor,
    real_labels: Tensor,
    fake_features: Tensor,
    fake_logits: Tensor,
    num_classes: int,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """:func:`summarize`'s inputs, checked: real and fake features, real and fake logits (all
    float64) and the real labels (int64)."""
    check_num_classes(num_classes)
    real, fake = check_pair(real_features, fake_features)
    n_real, n_fake = real.shape[0], fake.shape[0]
    real_logits = check_matrix("real_logits", real_logits)
    fake_logits = check_matrix("fake_logits", fake_logits)
    for name, logits, n in (
        ("real_logits", real_logits, n_real),
        ("fake_logits", fake_logits, n_fake),
    ):
        if logits.shape != (n, num_classes):
            raise ValueError(f"{name} must be {n}×{num_classes}, got {tuple(logits.shape)}")
    real_labels = check_labels("real_labels", real_labels.to(real.device), n_real, num_classes)
    return real, fake, real_logits, fake_logits, real_labels


def feature_metrics(
    real_features: Tensor,
    fake_features: Tensor,
    *,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The metrics that need features alone (JSON-safe, as :func:`summarize`'s): ``n_real``,
    ``n_fake``, ``fid``, ``kid_mean``, ``kid_std``, ``kid_subset_size``, ``precision``,
    ``recall``, ``density`` and ``coverage``; what unlabelled data is measured by."""
    real, fake = check_pair(real_features, fake_features)
    n_real, n_fake = real.shape[0], fake.shape[0]
    kid_mean, kid_std = kid(real, fake, kid_subsets, kid_subset_size, seed)
    precision, recall, density, coverage = ball_metrics(real, fake, PR_K, DC_K, CHUNK_ROWS)
    return {
        "n_real": n_real,
        "n_fake": n_fake,
        "fid": _json_float(fid(real, fake)),
        "kid_mean": _json_float(kid_mean),
        "kid_std": _json_float(kid_std),
        "kid_subset_size": min(kid_subset_size, n_real, n_fake),
        "precision": _json_float(precision),
        "recall": _json_float(recall),
        "density": _json_float(density),
        "coverage": _json_float(coverage),
    }


def _unconditional(
    real: Tensor,
    real_logits: Tensor,
    real_labels: Tensor,
    fake: Tensor,
    fake_logits: Tensor,
    num_classes: int,
    kid_subsets: int,
    kid_subset_size: int,
    seed: int,
) -> dict[str, Any]:
    """The keys of :func:`summarize` that every evaluation has, from checked inputs."""
    kid_args = {"kid_subsets": kid_subsets, "kid_subset_size": kid_subset_size, "seed": seed}
    is_mean, is_std = inception_score(fake_logits, seed=seed)
    real_is_mean, real_is_std = inception_score(real_logits, seed=seed)
    real_accuracy, _ = conditional_accuracy(real_logits, real_labels, num_classes)
    hist = class_histogram(fake_logits, num_classes)
    return {
        **feature_metrics(real, fake, **kid_args),
        "inception_score_mean": _json_float(is_mean),
        "inception_score_std": _json_float(is_std),
        "real_inception_score_mean": _json_float(real_is_mean),
        "real_inception_score_std": _json_float(real_is_std),
        "real_class_accuracy": _json_float(real_accuracy),
        "class_histogram": [int(c) for c in hist.tolist()],
        "classes_covered": classes_covered(hist),
        "class_kl": _json_float(class_kl_from_uniform(hist)),
    }


def _conditional(
    real: Tensor,
    real_labels: Tensor,
    fake: Tensor,
    fake_logits: Tensor,
    fake_labels: Tensor,
    num_classes: int,
) -> dict[str, Any]:
    """The keys of :func:`summarize` for fakes generated for known classes."""
    n_fake = fake.shape[0]
    fake_labels = check_labels("fake_labels", fake_labels.to(fake.device), n_fake, num_classes)
    accuracy, per_class = conditional_accuracy(fake_logits, fake_labels, num_classes)
    return {
        "class_accuracy": _json_float(accuracy),
        "class_accuracy_per_class": [_json_float(a) for a in per_class],
        "per_class_fid": [
            _json_float(v) for v in per_class_fid(real, real_labels, fake, fake_labels, num_classes)
        ],
    }
