"""A run's training images cut down to a few (``--data-limit N``, ``--data-fraction F``):
:class:`DataLimit`, what is asked, and :func:`training_subset`, the seeded, class-balanced
subset of a training split that it gives.

The subset is drawn by a generator seeded with :attr:`DataLimit.seed` (:data:`SUBSET_SEED`,
0, unless ``--data-limit-seed`` says otherwise), never the training seed: three training seeds
of a study train on the same images. On the CPU, from the labels alone, so the same split
always gives the same images on any machine. Labelled data gets as equal a number per class
as the classes allow (see :func:`class_quotas`); unlabelled data a plain random subset. The
chosen images keep their order in the split. The test split is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any

import torch

from ganforge.data.datasets import ImageData
from ganforge.data.pixels import fingerprint
from ganforge.errors import DataError

__all__ = ["SUBSET_SEED", "DataLimit", "class_quotas", "training_subset"]

SUBSET_SEED = 0  # the subset's seed by default: fixed, whatever the training seed


@dataclass(frozen=True)
class DataLimit:
    """How many of the training split's images a run trains on: ``limit`` images or the
    ``fraction`` of them (one of the two; neither: all), picked by ``seed``."""

    limit: int | None = None
    fraction: float | None = None
    seed: int = SUBSET_SEED

    @property
    def given(self) -> bool:
        """Whether a subset is asked for at all."""
        return self.limit is not None or self.fraction is not None

    def size(self, total: int) -> int:
        """The subset's size in a split of ``total`` images: ``limit``, or ``fraction`` of
        ``total`` rounded to the nearest integer (Python's ``round``)."""
        return self.limit if self.limit is not None else round((self.fraction or 1.0) * total)

    def flag(self) -> str:
        """The option that asked for it, as typed: ``--data-limit 1000``."""
        if self.limit is not None:
            return f"--data-limit {self.limit}"
        return f"--data-fraction {self.fraction:g}"


def class_quotas(counts: list[int], n: int, order: list[int]) -> list[int]:
    """Images per class when ``n`` are taken from classes of ``counts`` images: every class
    gets the same ``q`` (the largest for which the classes can give ``n`` or fewer), a class
    with fewer than ``q`` gives all it has, and the ``r`` images still missing go one each to
    the first ``r`` classes in ``order`` (the seeded order of the classes) that have one more.
    Without short classes: ``n // K`` each, and one more for the first ``n % K`` in ``order``."""
    lo, hi = 0, max(counts, default=0)
    while lo < hi:  # the largest q with sum(min(c, q)) <= n
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if sum(min(c, mid) for c in counts) <= n else (lo, mid - 1)
    quotas = [min(c, lo) for c in counts]
    missing = n - sum(quotas)
    for k in order:
        if missing == 0:
            break
        if counts[k] > quotas[k]:
            quotas[k] += 1
            missing -= 1
    return quotas


def training_subset(data: ImageData, limit: DataLimit) -> tuple[ImageData, dict[str, Any] | None]:
    """The images of the training split ``data`` that a run trains on under ``limit``, and
    what ``summary.json`` keeps of them (``data_subset``): ``data`` itself and None when no
    subset is asked for.

    A generator seeded with ``limit.seed`` draws, in this order, the classes' order (for the
    remainder, see :func:`class_quotas`) and one permutation of the whole split; each class
    gives its first images in that permutation. Unlabelled data: the permutation's first
    ``n``. Only the chosen images are copied. A one-line :class:`DataError` when the split has
    fewer images than asked, or (labelled) fewer are asked than it has classes."""
    if not limit.given:
        return data, None
    total, k = int(data.labels.shape[0]), data.num_classes
    n = limit.size(total)
    _check_size(data, limit, n, total)
    g = torch.Generator().manual_seed(limit.seed)
    order = torch.randperm(k, generator=g).tolist()
    perm = torch.randperm(total, generator=g)
    if data.labelled:
        by_class = perm[torch.argsort(data.labels[perm], stable=True)]
        counts = torch.bincount(data.labels, minlength=k).tolist()
        quotas = class_quotas(counts, n, order)
        starts = [0, *accumulate(counts)]
        chosen = torch.cat([by_class[s : s + q] for s, q in zip(starts, quotas, strict=False)])
    else:
        chosen, quotas = perm[:n], None
    chosen = chosen.sort().values
    images, labels = data.images[chosen].contiguous(), data.labels[chosen].contiguous()
    balanced = "a class-balanced subset" if data.labelled else "a random subset"
    subset = replace(
        data,
        images=images,
        labels=labels,
        source=f"{data.source}, {balanced} of {n:,} of its {total:,} images (seed {limit.seed})",
        fingerprint=fingerprint(images.numpy(), labels.numpy()),
    )
    record = {"limit": limit.limit, "fraction": limit.fraction, "seed": limit.seed}
    record = {key: value for key, value in record.items() if value is not None}
    record |= {"images": n, "of": total, "class_balanced": data.labelled}
    return subset, record | ({"per_class": quotas} if quotas is not None else {})


def _check_size(data: ImageData, limit: DataLimit, n: int, total: int) -> None:
    """``n`` images can be taken from the ``total`` of ``data``, one of each class at least."""
    if n > total:
        raise DataError(
            f"{limit.flag()} asks for more images than the training split has "
            f"({total:,}, {data.source}); expected at most {total:,}"
        )
    if n < 1:
        raise DataError(
            f"{limit.flag()} of the training split's {total:,} images is no image; "
            "expected a larger share"
        )
    if data.labelled and n < data.num_classes:
        raise DataError(
            f"{limit.flag()} is fewer images than the training data's {data.num_classes} "
            f"classes: a class-balanced subset needs one image of each at least; expected "
            f"at least {data.num_classes}"
        )
