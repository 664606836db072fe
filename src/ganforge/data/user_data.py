"""Your own training data (``ganforge train --data PATH``): a folder of images
(:mod:`ganforge.data.image_folder`) or an ``.npz``/``.npy`` file of arrays, loaded as an
:class:`~ganforge.data.datasets.ImageData` like the known datasets', with its fingerprint.

An ``.npy`` holds the images (N×H×W or N×1×H×W); an ``.npz`` holds them as ``images`` (or
as its only array), with optional ``labels`` (integers 0..K-1, one per image) and
``class_names`` (K strings). Pickles are never loaded: they can run code.
"""

from __future__ import annotations

import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ganforge.data.datasets import ImageData
from ganforge.data.image_folder import UNLABELLED, read_folder
from ganforge.data.loading import ganforge_home
from ganforge.data.pixels import (
    MAX_CLASSES,
    MIN_IMAGES,
    check_side,
    fingerprint,
    listed,
    resize_note,
    resize_stack,
    to_uint8,
)
from ganforge.errors import DataError

__all__ = ["load_user_data"]

EXPECTED = "a folder of images (PNG, JPEG, BMP, TIFF) or an .npz/.npy file"
MAX_NAME = 256  # characters of a class name
# What numpy raises on a damaged .npy or .npz (a ValueError for a pickle: see _read).
_BROKEN = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error)


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


def load_user_data(path: Path, say: Callable[[str], None] = _stderr) -> ImageData:
    """The images (and labels, if it has them) at ``path``: a folder of images, or an
    ``.npz``/``.npy`` file. Unlabelled data has one class, ``"unlabelled"``, and
    ``labelled=False``. Anything unusable is a one-line :class:`DataError`; what was done
    to the pixels (resized, read as floats in [0,1]) goes to ``say``."""
    path = Path(path).expanduser()
    if path.is_dir():
        folder = read_folder(path.resolve(), ganforge_home() / "datasets" / "folders", say)
        images, labels, names = folder.images, folder.labels, folder.class_names
        labelled, kind = folder.labelled, "image folder"
    elif path.is_file() and path.suffix.lower() in (".npz", ".npy"):
        images, labels, names = read_arrays(path, say)
        labelled, kind = names is not UNLABELLED, f"{path.suffix.lower()} file"
    elif not path.exists():
        raise DataError(f"{path} does not exist; expected {EXPECTED}")
    else:
        raise DataError(f"{path} is neither a folder nor an .npz/.npy file; expected {EXPECTED}")
    return ImageData(
        images=torch.from_numpy(np.ascontiguousarray(images)),
        labels=torch.from_numpy(labels),
        class_names=names,
        source=f"{path} ({kind}{'' if labelled else ', unlabelled'})",
        fingerprint=fingerprint(images, labels),
        labelled=labelled,
    )


def read_arrays(
    path: Path, say: Callable[[str], None]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The uint8 N×28×28 images, int64 labels and class names of an ``.npz``/``.npy``;
    without labels, zeros and :data:`~ganforge.data.image_folder.UNLABELLED` itself."""
    arrays = _read(path)
    if "images" in arrays:
        raw = arrays["images"]
    elif len(arrays) == 1 and "labels" not in arrays:
        raw = next(iter(arrays.values()))
    else:
        raise DataError(
            f"{path} holds no 'images' array (it holds: {listed(sorted(arrays)) or 'nothing'}); "
            "expected images (N×H×W) and optionally labels and class_names"
        )
    images, note = _images(raw, path)
    if "labels" not in arrays:
        labels, names = np.zeros(len(images), dtype=np.int64), UNLABELLED
    else:
        labels = _labels(arrays["labels"], len(images), path)
        names = _class_names(arrays.get("class_names"), int(labels.max()) + 1, path)
    if note:
        say(f"{path}: {note}")
    return images, labels, names


def _read(path: Path) -> dict[str, np.ndarray]:
    """Every array in the file, by name (an ``.npy``'s is ``images``); never a pickle."""
    try:
        with open(path, "rb") as fh:
            loaded = np.load(fh, allow_pickle=False)
            if isinstance(loaded, np.ndarray):
                return {"images": loaded}
            with loaded:
                return {name: loaded[name] for name in loaded.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{path} holds a pickled object; ganforge never loads pickles (they can run "
                "code): expected plain numeric arrays, saved with allow_pickle=False"
            ) from None
        raise DataError(f"{path} is not a readable .npy/.npz file: {_first_line(exc)}") from None
    except _BROKEN as exc:
        raise DataError(f"{path} is not a readable .npy/.npz file: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0][:100] if text else type(exc).__name__) or type(exc).__name__


def _images(raw: np.ndarray, path: Path) -> tuple[np.ndarray, str]:
    """``raw`` as uint8 N×28×28 images, and what was done to them ("" if nothing)."""
    images = raw
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    elif images.ndim == 4 and images.shape[3] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise DataError(
            f"{path} holds images of shape {raw.shape}; expected N×H×W or N×1×H×W (grayscale)"
        )
    if len(images) < MIN_IMAGES:
        raise DataError(
            f"{path} holds {len(images)} images; expected at least {MIN_IMAGES} to train on"
        )
    check_side(images.shape[1], images.shape[2], str(path))
    images, read_as = to_uint8(images, str(path))
    notes = [f"{read_as} pixels read as 0..255"] if read_as else []
    if resized := resize_note({(images.shape[2], images.shape[1])}):
        notes.append(resized)
    return resize_stack(images), "; ".join(notes)


def _labels(raw: np.ndarray, n: int, path: Path) -> np.ndarray:
    """``raw`` as int64 labels 0..K-1, one per image, K at most :data:`MAX_CLASSES`."""
    if raw.dtype.kind not in "iu":
        raise DataError(f"{path}: labels are {raw.dtype}; expected integers 0..K-1")
    if raw.shape != (n,):
        raise DataError(
            f"{path}: labels have shape {raw.shape}; expected one label per image ({n},)"
        )
    low, high = int(raw.min()), int(raw.max())
    if low < 0:
        raise DataError(f"{path}: labels include {low}; expected integers 0..K-1")
    if high >= MAX_CLASSES:
        raise DataError(
            f"{path}: labels go up to {high} ({high + 1} classes); expected at most "
            f"{MAX_CLASSES} classes"
        )
    return raw.astype(np.int64)


def _class_names(raw: np.ndarray | None, k: int, path: Path) -> tuple[str, ...]:
    """The ``class_names`` array as a tuple, at least ``k`` of them; "0".."k-1" without one."""
    if raw is None:
        return tuple(str(c) for c in range(k))
    if raw.dtype.kind != "U" or raw.ndim != 1:
        raise DataError(
            f"{path}: class_names is {raw.dtype} of shape {raw.shape}; expected a list of strings"
        )
    names = tuple(str(name) for name in raw)
    if not k <= len(names) <= MAX_CLASSES:
        raise DataError(
            f"{path}: {len(names)} class_names for labels 0..{k - 1}; expected {k} to "
            f"{MAX_CLASSES} names"
        )
    if any(not name or len(name) > MAX_NAME for name in names):
        raise DataError(f"{path}: class names must have 1 to {MAX_NAME} characters")
    return names
