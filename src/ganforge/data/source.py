"""Where a run's real images come from, for training and for testing alike:
:class:`DataSource`, a known dataset (``--dataset``, its files from ``--data-dir``) or the
user's own data (``--data``), with its test split.

A known dataset has its published test split. The user's data has ``--test-data`` in any form
``--data`` takes, or else a fixed hold-out of its own images: :data:`HOLDOUT_SEED` shuffles
them, and the first ``holdout`` of them (10 % by default, at most :data:`HOLDOUT_MAX`) are the
test split, the rest the training split. The same data always gives the same split, so the
run, its evaluations and every later command see the same images; :meth:`DataSource.record`
is what ``summary.json`` keeps of it. A run may train on a subset of the training split
(``--data-limit``, :attr:`DataSource.subset`, drawn by :func:`~ganforge.data.training_subset`);
:meth:`DataSource.load` and :meth:`DataSource.splits` always give the whole splits, which
the evaluator trains and tests on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from ganforge.config.schema import CUSTOM_DATASET as CUSTOM
from ganforge.data.datasets import ImageData
from ganforge.data.loading import load_dataset
from ganforge.data.pixels import fingerprint
from ganforge.data.subset import DataLimit
from ganforge.data.user_data import load_user_data
from ganforge.errors import DataError

__all__ = ["CUSTOM", "HOLDOUT", "HOLDOUT_MAX", "HOLDOUT_SEED", "DataSource", "holdout_sizes"]

HOLDOUT = 0.1  # the share of the user's images held out as the test split by default
HOLDOUT_MAX = 10_000  # test images held out at most (MNIST's test split is as large)
HOLDOUT_SEED = 0  # fixed: every run on the same data holds out the same images
SPLITS = ("train", "test")


@dataclass(frozen=True)
class DataSource:
    """The real images of a run: ``dataset`` (a canonical known name, or :data:`CUSTOM`)
    with ``data_dir`` for a known one; ``data`` (a folder, ``.npz`` or ``.npy``) for the
    user's own, with ``test_data`` or else the ``holdout`` share of ``data`` as its test
    split; ``subset``, the part of the training split a run trains on (all by default)."""

    dataset: str = "mnist"
    data_dir: Path | None = None
    data: Path | None = None
    test_data: Path | None = None
    holdout: float = HOLDOUT
    subset: DataLimit = field(default_factory=DataLimit)

    @classmethod
    def of(cls, dataset: str | DataSource = "mnist", data_dir: Path | None = None) -> DataSource:
        """``dataset`` itself if it is a source (a known one's files from ``data_dir`` when it
        names none), else the known dataset of that name."""
        if isinstance(dataset, DataSource):
            if data_dir is None or dataset.custom or dataset.data_dir is not None:
                return dataset
            return replace(dataset, data_dir=Path(data_dir))
        return cls(dataset=dataset, data_dir=Path(data_dir) if data_dir is not None else None)

    @property
    def custom(self) -> bool:
        """Whether this is the user's own data (``--data``) rather than a known dataset."""
        return self.data is not None

    @property
    def name(self) -> str:
        """What to call the data in titles: the dataset's name, or the data's folder and name
        (``fashion/train``)."""
        if self.data is None:
            return self.dataset
        return (
            f"{self.data.parent.name}/{self.data.name}" if self.data.parent.name else self.data.name
        )

    def load(self, split: str, say: Callable[[str], None] | None = None) -> ImageData:
        """The ``split`` ("train" or "test"): a known dataset's published one, ``test_data``,
        or the held-out share of ``data`` (the training split is the rest)."""
        if split not in SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if self.data is None:
            return load_dataset(self.dataset, split, self.data_dir)
        return self.splits(say)[SPLITS.index(split)]

    def splits(
        self, say: Callable[[str], None] | None = None
    ) -> tuple[ImageData, ImageData, dict[str, Any] | None]:
        """The user's data read once: its training split, its test split (checked to fit
        the training split), and what ``summary.json`` keeps of the test split (see
        :meth:`record`). A known dataset's published splits, without a record."""
        if self.data is None:
            return self.load("train"), self.load("test"), None
        kwargs = {} if say is None else {"say": say}
        if self.test_data is not None:
            train = load_user_data(self.data, **kwargs)
            test = _fitting(load_user_data(self.test_data, **kwargs), train)
            record = {"test_split": "test_data", "test_data": str(self.test_data)}
        else:
            whole = load_user_data(self.data, **kwargs)
            train = _held_out(whole, self.holdout, "train")
            test = _held_out(whole, self.holdout, "test")
            record = {
                "test_split": "holdout",
                "holdout": self.holdout,
                "holdout_seed": HOLDOUT_SEED,
                "data_fingerprint": whole.fingerprint,
                "train_images": int(train.images.shape[0]),
            }
        record |= {"test_images": int(test.images.shape[0]), "test_fingerprint": test.fingerprint}
        return train, test, record

    def record(self) -> dict[str, Any] | None:
        """What ``summary.json`` keeps of the test split of the user's data (None for a
        known dataset, whose test split is published, and nothing read): where it comes
        from, its size and fingerprint, and for a hold-out its share, seed, the training
        split's size and the whole data's fingerprint."""
        return None if self.data is None else self.splits(say=lambda _: None)[2]


def _fitting(test: ImageData, train: ImageData) -> ImageData:
    """``test`` once it is checked to fit ``train``: labelled alike, with its classes."""
    if test.labelled != train.labelled:
        which = "labelled" if train.labelled else "unlabelled"
        raise DataError(
            f"the test data ({test.source}) and the training data ({train.source}) must both "
            f"be labelled or both not; expected {which} test data like the training data"
        )
    k = train.num_classes
    if test.labelled and (
        test.class_names[:k] != train.class_names[: test.num_classes] or test.num_classes > k
    ):
        raise DataError(
            f"the test data ({test.source}) has classes {', '.join(test.class_names[:5])}…; "
            f"expected the training data's: {', '.join(train.class_names[:5])}…"
        )
    return replace(test, class_names=train.class_names)


def holdout_sizes(n: int, share: float = HOLDOUT) -> tuple[int, int]:
    """(training, test) images when ``share`` of ``n`` is held out: at least 1 and at most
    :data:`HOLDOUT_MAX` test images, and at least 1 left to train on."""
    test = min(HOLDOUT_MAX, max(1, round(n * share)))
    if n - test < 1:
        raise DataError(
            f"{n} image(s) cannot be split into training and test images; expected at least 2 "
            "(or --test-data)"
        )
    return n - test, test


@functools.lru_cache(maxsize=4)
def _order(n: int) -> torch.Tensor:
    return torch.randperm(n, generator=torch.Generator().manual_seed(HOLDOUT_SEED))


def _held_out(data: ImageData, share: float, split: str) -> ImageData:
    """The ``split`` of ``data`` under a hold-out of ``share`` (see the module's docstring)."""
    n = data.images.shape[0]
    _, n_test = holdout_sizes(n, share)
    order = _order(n)
    picked = order[:n_test] if split == "test" else order[n_test:].sort().values
    images = data.images[picked].contiguous()
    labels = data.labels[picked].contiguous()
    return replace(
        data,
        images=images,
        labels=labels,
        source=f"{data.source}, {n - n_test} of {n} images ({n_test} held out for testing)"
        if split == "train"
        else f"{data.source}, the {n_test} of {n} images held out for testing",
        fingerprint=fingerprint(images.numpy(), labels.numpy()),
    )
