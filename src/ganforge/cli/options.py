"""Options that several commands share: ``--dataset``, checked and named canonically as it is
parsed (an alias such as ``fashion`` becomes ``fashion-mnist``; anything else is a one-line
error listing the names), and ``--data``, the user's own images."""

from __future__ import annotations

import typer
from typer.models import OptionInfo

from ganforge.data import dataset_choices, dataset_name

__all__ = ["data_dir_option", "data_option", "dataset_option"]


def canonical_dataset(value: str | None) -> str | None:
    """``--dataset``'s value by its canonical name (None stays None: the run's own)."""
    return None if value is None else dataset_name(value)


def dataset_option(default_note: str = "") -> OptionInfo:
    """A ``--dataset`` option whose help lists the names and aliases; ``default_note`` ends
    the help (e.g. `` [the run's]``)."""
    return typer.Option(help=f"{dataset_choices()}{default_note}.", callback=canonical_dataset)


def data_option() -> OptionInfo:
    """A ``--data PATH`` option: your own images instead of a known dataset."""
    return typer.Option(
        "--data",
        metavar="PATH",
        help="Train on your own images: a folder (class sub-folders, or flat: unlabelled) of "
        "PNG/JPEG/BMP/TIFF, or an .npz/.npy file; 28×28 grayscale after conversion.",
    )


def data_dir_option() -> OptionInfo:
    """A ``--data-dir DIR`` option: the known dataset's IDX files from a folder."""
    return typer.Option(help="Folder of IDX files (gzipped or not) to use instead of the download.")
