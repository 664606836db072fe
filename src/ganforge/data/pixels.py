"""Pixels from a user's own data as ganforge keeps them: uint8 grayscale at 28×28, converted
from floats, 16-bit values or other sizes (:func:`to_uint8`, :func:`resize_stack`), and the
limits such data must keep (:data:`MIN_SIDE`, :data:`MAX_CLASSES`)."""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from ganforge.errors import DataError

IMAGE_SIZE = 28  # the side every model trains at (ImageTransform pads or resizes from it)
MIN_SIDE = 8  # images smaller than this on a side are refused: nothing of a digit is left
MAX_CLASSES = 1000  # as many classes as a checkpoint may record
MIN_IMAGES = 2  # fewer is no training set
LISTED = 3  # file names listed in a message before "…"


def to_uint8(array: np.ndarray, what: str) -> tuple[np.ndarray, str]:
    """``array`` as uint8 0..255 and the range it was read as ("" for uint8): uint16 as
    16-bit (0..65535), floats in [0, 1] or [-1, 1], or other numbers in 0..255; else a
    one-line :class:`DataError` naming ``what``."""
    if array.dtype == np.uint8:
        return array, ""
    if array.dtype == np.uint16:
        return ((array.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8), "16-bit"
    if array.dtype.kind not in "iuf" or array.size == 0:
        raise DataError(f"{what} holds {array.dtype} values; expected uint8 or float pixels")
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise DataError(f"{what} holds NaN or infinite pixels; expected finite values")
    low, high = float(values.min()), float(values.max())
    if array.dtype.kind == "f" and low >= 0 and high <= 1:
        return np.rint(values * 255).astype(np.uint8), "[0,1]"
    if array.dtype.kind == "f" and low >= -1 and high <= 1:
        return np.rint((values + 1) * 127.5).astype(np.uint8), "[-1,1]"
    if low >= 0 and high <= 255:
        return np.rint(values).astype(np.uint8), "[0,255]"
    raise DataError(
        f"{what} holds values from {low:g} to {high:g}; expected uint8, or floats in [0,1] "
        "or [-1,1], or numbers in 0..255"
    )


def resize_one(image: Image.Image, size: int = IMAGE_SIZE) -> np.ndarray:
    """A grayscale ('L') Pillow image as a size×size uint8 array; Lanczos where it is resized
    (which smooths as it shrinks, so strokes do not alias)."""
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def resize_stack(images: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """N×H×W uint8 images as N×size×size (unchanged when they are that size already)."""
    if images.shape[1:] == (size, size):
        return np.ascontiguousarray(images)
    out = np.empty((len(images), size, size), dtype=np.uint8)
    for i, image in enumerate(images):
        out[i] = resize_one(Image.fromarray(image, mode="L"), size)
    return out


def check_side(height: int, width: int, what: str) -> None:
    """Refuse images smaller than :data:`MIN_SIDE` on a side."""
    if min(height, width) < MIN_SIDE:
        raise DataError(
            f"{what} holds {width}×{height} images; expected at least {MIN_SIDE}×{MIN_SIDE}"
        )


def resize_note(sizes: set[tuple[int, int]], size: int = IMAGE_SIZE) -> str:
    """``"resized 64×64 → 28×28"`` (or ``"resized 2 sizes (32×32, 64×48) → 28×28"``) for the
    (width, height) ``sizes`` met; "" when all were the target size."""
    other = sorted(s for s in sizes if s != (size, size))
    if not other:
        return ""
    shown = listed([f"{w}×{h}" for w, h in other])
    what = shown if len(other) == 1 else f"{len(other)} sizes ({shown})"
    return f"resized {what} → {size}×{size}"


def fingerprint(images: np.ndarray, labels: np.ndarray) -> str:
    """The first 16 hex digits of the sha256 of the image bytes followed by the label bytes
    (uint8 where every label fits, as in an IDX file, else int64)."""
    digest = hashlib.sha256(np.ascontiguousarray(images))
    fits = labels.size == 0 or int(labels.max()) < 256
    digest.update(np.ascontiguousarray(labels.astype(np.uint8 if fits else np.int64)))
    return digest.hexdigest()[:16]


def count(n: int, noun: str) -> str:
    """``"1 file"``, ``"3 files"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def listed(names: list[str]) -> str:
    """Up to :data:`LISTED` names, comma-separated, with "…" after them if there are more."""
    return ", ".join(names[:LISTED]) + (", …" if len(names) > LISTED else "")
