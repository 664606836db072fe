"""A folder of images as training data: class sub-folders (their sorted names are the class
names, as in torchvision's ImageFolder) or a flat folder of unlabelled images, decoded once
with Pillow into 28×28 grayscale and cached, keyed by the files' names, sizes and times."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ganforge.data.pixels import (
    IMAGE_SIZE,
    MAX_CLASSES,
    MIN_IMAGES,
    MIN_SIDE,
    count,
    listed,
    resize_note,
    resize_one,
    to_uint8,
)
from ganforge.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
KINDS = "PNG, JPEG, BMP or TIFF"
MAX_PIXELS = 2**24  # a larger image (4096×4096) is refused unread: no decompression bombs
CACHE_VERSION = 1  # part of the cache key: a new decoding never reads an old cache
UNLABELLED = ("unlabelled",)  # the one class of a flat folder


@dataclass(frozen=True)
class FolderImages:
    """A decoded folder: uint8 N×28×28 images, int64 labels, the class names, whether the
    folder had classes, and what was done to the pixels ("" or ``"resized 64×64 → 28×28"``)."""

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    labelled: bool
    note: str


@dataclass(frozen=True)
class _File:
    rel: str  # path relative to the folder, with "/"
    label: int
    size: int
    mtime_ns: int


def read_folder(folder: Path, cache_dir: Path, say: Callable[[str], None]) -> FolderImages:
    """The images under ``folder``, from the cache in ``cache_dir`` when the files are the
    ones cached; else decoded (and cached). Notes for the user go to ``say``."""
    files, class_names, ignored = scan(folder)
    if ignored:
        say(f"{folder}: ignored {count(len(ignored), 'file')} not {KINDS}: {listed(ignored)}")
    labelled = class_names != UNLABELLED
    key = _cache_key(files, class_names, labelled)
    cache = cache_dir / f"{key}.npz"
    found = _read_cache(cache, len(files))
    if found is None:
        found = decode_all(folder, files, class_names, labelled)
        _write_cache(cache, found)
    if found.note:
        say(f"{folder}: {found.note}")
    return found


def scan(folder: Path) -> tuple[list[_File], tuple[str, ...], list[str]]:
    """The image files under ``folder`` (sorted, each with its class), the class names, and
    the other files, which are ignored. Dot-files and dot-folders are skipped."""
    entries = _visible(folder)
    classes = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    if not classes:
        files, ignored = _images_in(folder, folder, 0, recursive=False)
        if not files:
            raise DataError(
                f"{folder} holds no images; expected {KINDS} files, or class sub-folders of them"
            )
        _enough(folder, files)
        return files, UNLABELLED, ignored
    top = [e.name for e in entries if e.is_file() and _is_image(e.name)]
    if top:
        raise DataError(
            f"{folder} holds both class folders ({listed(classes)}) and images ({listed(top)}); "
            "expected class folders only, or images only"
        )
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f"{folder} holds {len(classes)} class folders; expected at most {MAX_CLASSES}"
        )
    files, ignored = [], []
    for label, name in enumerate(classes):
        found, skipped = _images_in(folder, folder / name, label, recursive=True)
        if not found:
            raise DataError(
                f"class folder {folder / name} holds no images; expected {KINDS} files in "
                "every class folder"
            )
        files += found
        ignored += skipped
    _enough(folder, files)
    return files, tuple(classes), ignored


def _visible(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as exc:
        raise DataError(
            f"cannot read folder {folder}: {exc.strerror or exc}; expected a readable folder"
        ) from None


def _images_in(
    root: Path, folder: Path, label: int, recursive: bool
) -> tuple[list[_File], list[str]]:
    """The image files in ``folder`` (and its sub-folders if ``recursive``), sorted, with
    their names relative to ``root``; and the names of the other files."""
    files, ignored = [], []
    # One relpath per folder, not per file: it was most of a cached load of 60,000 files.
    inside = os.path.relpath(folder, root).replace(os.sep, "/")
    prefix = "" if inside == "." else f"{inside}/"
    for entry in _visible(folder):
        rel = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            if recursive:
                more, skipped = _images_in(root, Path(entry.path), label, recursive)
                files += more
                ignored += skipped
        elif not _is_image(entry.name):
            ignored.append(rel)
        else:
            try:
                stat = entry.stat()
                files.append(_File(rel, label, stat.st_size, stat.st_mtime_ns))
            except OSError:  # a broken link: named with the unreadable files when decoding
                files.append(_File(rel, label, -1, 0))
    return files, ignored


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def _enough(folder: Path, files: list[_File]) -> None:
    if len(files) < MIN_IMAGES:
        raise DataError(
            f"{folder} holds {len(files)} image ({files[0].rel}); expected at least "
            f"{MIN_IMAGES} to train on"
        )


def decode_all(
    folder: Path, files: list[_File], class_names: tuple[str, ...], labelled: bool
) -> FolderImages:
    """Every file decoded into one uint8 N×28×28 array; unreadable or too small files are
    refused in one line that names the first few."""
    images = np.empty((len(files), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    sizes: set[tuple[int, int]] = set()
    bad: list[str] = []
    small: list[str] = []
    for i, file in enumerate(files):
        try:
            array, size = decode_one(folder / file.rel)
        except Exception as exc:  # Pillow raises many kinds on broken files
            bad.append(f"{file.rel} ({_reason(exc)})")
            continue
        if array is None:
            small.append(f"{file.rel} ({size[0]}×{size[1]})")
            continue
        images[i] = array
        sizes.add(size)
    if bad:
        raise DataError(
            f"{folder}: {count(len(bad), 'file')} cannot be read as images: {listed(bad)}; "
            f"expected {KINDS} images"
        )
    if small:
        raise DataError(
            f"{folder}: {count(len(small), 'image')} smaller than {MIN_SIDE}×{MIN_SIDE}: "
            f"{listed(small)}; expected at least {MIN_SIDE} pixels a side"
        )
    labels = np.array([f.label for f in files], dtype=np.int64)
    return FolderImages(images, labels, class_names, labelled, resize_note(sizes))


def decode_one(path: Path) -> tuple[np.ndarray | None, tuple[int, int]]:
    """One file as a 28×28 uint8 array and its (width, height) before resizing; None for the
    array when it is smaller than :data:`MIN_SIDE` on a side."""
    with Image.open(path) as image:
        if image.width * image.height > MAX_PIXELS:
            raise ValueError(f"{image.width}×{image.height} is too large")
        image.seek(0)  # the first frame of a multi-page TIFF
        upright = ImageOps.exif_transpose(image)  # a phone's JPEG, the right way up
        size = upright.size
        if min(size) < MIN_SIDE:
            return None, size
        return resize_one(_grayscale(upright)), size


def _grayscale(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit grayscale ('L'): 16-bit values scaled (Pillow's own conversion
    would clip them at 255), floats read by their range, anything else by Pillow."""
    if image.mode.startswith("I;16"):
        array, _ = to_uint8(np.asarray(image).astype(np.uint16), "a 16-bit image")
    elif image.mode == "I":
        values = np.clip(np.asarray(image), 0, 65535)
        wide = values.astype(np.uint16) if values.max() > 255 else values
        array, _ = to_uint8(wide, "a 32-bit integer image")
    elif image.mode == "F":
        array, _ = to_uint8(np.asarray(image), "a floating-point image")
    else:
        return image.convert("L")
    return Image.fromarray(array)


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "cannot identify image file" in text:
        return "not an image Pillow can read"
    return text[:80]


def _cache_key(files: list[_File], class_names: tuple[str, ...], labelled: bool) -> str:
    listing = [[f.rel, f.label, f.size, f.mtime_ns] for f in files]
    text = json.dumps([CACHE_VERSION, IMAGE_SIZE, list(class_names), labelled, listing])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _read_cache(path: Path, n: int) -> FolderImages | None:
    """The cached decoding at ``path`` if there is a whole one for ``n`` images; else None
    (any damage means decoding again, never an error)."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            images, labels = saved["images"], saved["labels"]
            names = tuple(str(name) for name in saved["class_names"])
            labelled, note = bool(saved["labelled"]), str(saved["note"])
    except Exception:  # missing, truncated, or not ours: decode again
        return None
    if images.shape != (n, IMAGE_SIZE, IMAGE_SIZE) or images.dtype != np.uint8:
        return None
    if labels.shape != (n,) or labels.dtype != np.int64:
        return None
    return FolderImages(images, labels, names, labelled, note)


def _write_cache(path: Path, data: FolderImages) -> None:
    """Write ``data`` to ``path`` whole or not at all: into a unique temporary file, then
    renamed. A cache that cannot be written only means decoding again next time."""
    part = path.with_name(f"{path.stem}.{secrets.token_hex(8)}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "xb") as fh:
            np.savez(
                fh,
                images=data.images,
                labels=data.labels,
                class_names=np.array(data.class_names, dtype=str),
                labelled=np.array(data.labelled),
                note=np.array(data.note),
            )
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)
