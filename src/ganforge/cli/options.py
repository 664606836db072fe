"""Options that several commands share: ``--dataset``, checked and named canonically as it is
parsed (an alias such as ``fashion`` becomes ``fashion-mnist``; anything else is a one-line
error listing the names), and ``--data``, the user's own images, with ``--test-data`` and
``--holdout`` (:func:`data_source_of` makes them one :class:`~ganforge.data.DataSource`), and
``--data-limit``, ``--data-fraction`` and ``--data-limit-seed``, the subset of the training
split a run trains on (:func:`with_data_limit` adds it to the source)."""

from __future__ import annotations

from dataclasses import replace

import typer
from typer.models import OptionInfo

from ganforge.api.scores import data_source_of
from ganforge.config.bounds import check_data_limit
from ganforge.data import (
    HOLDOUT,
    HOLDOUT_MAX,
    SUBSET_SEED,
    DataLimit,
    DataSource,
    dataset_choices,
    dataset_name,
)
from ganforge.errors import ConfigError

__all__ = [
    "data_dir_option",
    "data_fraction_option",
    "data_limit_option",
    "data_limit_seed_option",
    "data_option",
    "data_source_of",
    "dataset_option",
    "holdout_option",
    "parse_epochs",
    "test_data_option",
    "with_data_limit",
]


def canonical_dataset(value: str | None) -> str | None:
    """``--dataset``'s value by its canonical name (None stays None: the run's own)."""
    return None if value is None else dataset_name(value)


def dataset_option(default_note: str = "") -> OptionInfo:
    """A ``--dataset`` option whose help lists the names and aliases; ``default_note`` ends
    the help (e.g. `` [the run's]``)."""
    return typer.Option(help=f"{dataset_choices()}{default_note}.", callback=canonical_dataset)


def data_option(what: str = "Train on your own images") -> OptionInfo:
    """A ``--data PATH`` option: your own images instead of a known dataset."""
    return typer.Option(
        "--data",
        metavar="PATH",
        help=f"{what}: a folder (class sub-folders, or flat: unlabelled) of PNG/JPEG/BMP/TIFF, "
        "or an .npz/.npy file; 28×28 grayscale after conversion.",
    )


def data_dir_option() -> OptionInfo:
    """A ``--data-dir DIR`` option: the known dataset's IDX files from a folder."""
    return typer.Option(help="Folder of IDX files (gzipped or not) to use instead of the download.")


def test_data_option() -> OptionInfo:
    """A ``--test-data PATH`` option: the test split of the user's own images."""
    return typer.Option(
        "--test-data",
        metavar="PATH",
        help="With --data: its test split (what evaluation compares with), in any form --data "
        "takes. Without it, a fixed, seeded share of --data is held out (--holdout).",
    )


def holdout_option() -> OptionInfo:
    """A ``--holdout SHARE`` option: how much of the user's images is held out for testing."""
    return typer.Option(
        min=0.001,
        max=0.5,
        help=f"With --data and no --test-data: the share of the images held out as the test "
        f"split, the same images every time, at most {HOLDOUT_MAX:,} [{HOLDOUT}].",
    )


def data_limit_option() -> OptionInfo:
    """A ``--data-limit N`` option: train on N images of the training split."""
    return typer.Option(
        "--data-limit",
        metavar="N",
        help="Train on a seeded, class-balanced subset of N images of the training split (as "
        "many of each class as can be; the test split is untouched). Not with --data-fraction.",
    )


def data_fraction_option() -> OptionInfo:
    """A ``--data-fraction F`` option: train on the share F of the training split."""
    return typer.Option(
        "--data-fraction",
        metavar="F",
        help="Train on round(F × its size) images of the training split, F in (0, 1], chosen "
        "as --data-limit chooses them. Not with --data-limit.",
    )


def data_limit_seed_option() -> OptionInfo:
    """A ``--data-limit-seed S`` option: the seed that picks the subset's images."""
    return typer.Option(
        "--data-limit-seed",
        metavar="S",
        help=f"The seed that picks the subset's images: not --seed, so runs of several seeds "
        f"train on the same images [{SUBSET_SEED}].",
    )


def with_data_limit(
    source: DataSource | None, limit: int | None, fraction: float | None, seed: int | None
) -> DataSource:
    """``source`` (None: MNIST) training on the subset that ``--data-limit`` or
    ``--data-fraction`` asks for (picked by ``--data-limit-seed``); a one-line
    :class:`ConfigError` for a bad one."""
    seed = SUBSET_SEED if seed is None else seed
    check_data_limit(limit, fraction, seed)
    return replace(source or DataSource(), subset=DataLimit(limit, fraction, seed))


def parse_epochs(text: str) -> list[int]:
    """``"5,25,50"`` → ``[5, 25, 50]`` (the value of ``--sample-at``); positive epochs only."""
    try:
        epochs = [int(part) for part in text.split(",")]
    except ValueError:
        epochs = []
    if not epochs or any(epoch < 1 for epoch in epochs):
        raise ConfigError(
            f"--sample-at expects comma-separated positive epochs such as 5,25,50, got {text!r}"
        )
    return epochs
