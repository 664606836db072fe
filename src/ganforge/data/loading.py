"""Finding and loading a known dataset's split, and where ganforge keeps its caches.

:func:`load_dataset` looks, in order, in: the ``data_dir`` argument (the CLI's ``--data-dir``),
the dataset's environment variable, the system directories (e.g. Debian's package), the
download cache under :func:`ganforge_home`, and finally downloads into that cache. Copies a
user provides are checked by parsing (they may be subsets, so checksums would not match);
downloaded copies are checked against the published md5, and files taken out of a downloaded
archive against its CRC-32s (:mod:`ganforge.data.archive`). What each dataset is, and where it
is published, is :mod:`ganforge.data.datasets`'.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import torch

from ganforge.data.archive import extract_members, members_intact
from ganforge.data.datasets import DATASETS, DatasetSpec, ImageData, dataset_name
from ganforge.data.download import RemoteFile, download_file, verify_file
from ganforge.data.idx import read_idx
from ganforge.errors import DataError

__all__ = ["ganforge_home", "load_dataset"]

IMAGE_SIZE = 28


def ganforge_home() -> Path:
    """Directory for ganforge's caches: ``$GANFORGE_HOME``, else the platform's cache dir.

    That is ``$XDG_CACHE_HOME/ganforge`` or ``~/.cache/ganforge`` on Linux,
    ``~/Library/Caches/ganforge`` on macOS and ``%LOCALAPPDATA%\\ganforge`` on Windows.
    """
    if home := os.environ.get("GANFORGE_HOME"):
        return Path(home).expanduser()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        # The XDG spec says to ignore relative paths: they would depend on the cwd.
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "ganforge"


def load_dataset(
    name: str, split: str = "train", data_dir: Path | None = None, download: bool = True
) -> ImageData:
    """Load one split ("train" or "test") of a known dataset (see :data:`DATASETS`),
    named by its name or an alias (:func:`~ganforge.data.datasets.dataset_name`).

    ``data_dir`` is a directory holding the published file names, gzipped or not (or a
    torchvision root holding them under e.g. ``MNIST/raw/``). Without it the dataset's
    environment variable, its system directories and the download cache are tried, and
    with ``download`` the files are fetched into the cache. Parsed files are kept in memory,
    so loading the same files again is free. Raises :class:`DataError` saying what is
    missing or wrong and how to provide the files.
    """
    spec = DATASETS[dataset_name(name)]
    if split not in spec.splits:
        raise DataError(
            f"unknown split {split!r} for {spec.name}; expected one of: {', '.join(spec.splits)}"
        )
    if data_dir is not None:
        return _load_user_dir(spec, split, Path(data_dir), "--data-dir")
    if env_dir := os.environ.get(spec.env_var):
        return _load_user_dir(spec, split, Path(env_dir), f"${spec.env_var}")
    for system_dir in spec.system_dirs:
        if found := _find_files(system_dir, spec, split):
            return _load(spec, *found, how="system copy")
    return _load_cache(spec, split, download)


def _load_user_dir(spec: DatasetSpec, split: str, directory: Path, how: str) -> ImageData:
    if not directory.is_dir():
        raise DataError(
            f"{how} {directory} is not a directory; expected one holding "
            f"{_expected_names(spec, split)}"
        )
    found = _find_files(directory, spec, split)
    if found is None:
        raise DataError(
            f"{how} {directory} lacks the {spec.name} {split} files; expected "
            f"{_expected_names(spec, split)}"
        )
    return _load(spec, *found, how=how)


def _load_cache(spec: DatasetSpec, split: str, download: bool) -> ImageData:
    if spec.archive is not None:
        return _load(spec, *_archive_members(spec, split, download), how="download cache")
    cache = ganforge_home() / "datasets" / spec.name
    paths = []
    for remote in spec.files[split]:
        path = cache / remote.name
        if not _cached_copy_ok(path, remote):
            if not download:
                raise DataError(
                    f"no verified copy of {spec.name} {split} in {cache} and "
                    f"downloading is off; {_manual_hint(spec)}"
                )
            path = download_file(remote, _mirrors(spec), cache, manual_hint=_manual_hint(spec))
        paths.append(path)
    return _load(spec, *paths, how="download cache")


def _archive_members(spec: DatasetSpec, split: str, download: bool) -> tuple[Path, Path]:
    """``split``'s files, taken out of the dataset's archive in the cache (downloaded first
    when it is not there); all the dataset's files are taken out at once."""
    assert spec.archive is not None
    cache = ganforge_home() / "datasets" / spec.archive.cache_dir
    archive = cache / spec.archive.remote.name
    names = [name for part in spec.splits for name in spec.file_names(part)]
    if _cached_copy_ok(archive, spec.archive.remote):
        fresh = not members_intact(archive, spec.archive, names, cache)
    elif not download:
        raise DataError(
            f"no verified copy of {spec.name} {split} in {cache} and "
            f"downloading is off; {_manual_hint(spec)}"
        )
    else:
        archive = download_file(
            spec.archive.remote, _mirrors(spec), cache, manual_hint=_manual_hint(spec)
        )
        fresh = True
    if fresh:
        extract_members(archive, spec.archive, names, cache)
    images, labels = spec.file_names(split)
    return cache / images, cache / labels


def _mirrors(spec: DatasetSpec) -> tuple[str, ...]:
    """The spec's mirrors, or a comma-separated list from e.g. ``$GANFORGE_MNIST_MIRRORS``
    (:attr:`~DatasetSpec.mirrors_env_var`; for an internal mirror: files are still checked
    against the published checksums)."""
    override = os.environ.get(spec.mirrors_env_var, "")
    return tuple(m.strip() for m in override.split(",") if m.strip()) or spec.mirrors


def _find_files(directory: Path, spec: DatasetSpec, split: str) -> tuple[Path, Path] | None:
    """The split's (images, labels) files in ``directory``, gzipped or not, if both exist
    (also in a torchvision root, or in an unpacked archive's folder)."""
    roots = [directory]
    if spec.torchvision_subdir:
        roots.append(directory / spec.torchvision_subdir)
    if spec.archive is not None and spec.archive.members_dir:
        roots.append(directory / spec.archive.members_dir)
    for root in roots:
        images, labels = (_find_one(root, name) for name in spec.file_names(split))
        if images is not None and labels is not None:
            return images, labels
    return None


def _find_one(root: Path, published_name: str) -> Path | None:
    base = published_name.removesuffix(".gz")
    for candidate in (root / (base + ".gz"), root / base):
        if candidate.is_file():
            return candidate
    return None


def _expected_names(spec: DatasetSpec, split: str) -> str:
    names = " and ".join(spec.file_names(split))
    where = f", directly or under {spec.torchvision_subdir}/" if spec.torchvision_subdir else ""
    return f"{names} (gzipped or not{where})"


def _manual_hint(spec: DatasetSpec) -> str:
    names = ", ".join(name for split in spec.splits for name in spec.file_names(split))
    archive = ""
    if spec.archive is not None:
        remote, cache = spec.archive.remote, ganforge_home() / "datasets" / spec.archive.cache_dir
        archive = f"; or put {remote.name} ({remote.size} bytes, md5 {remote.md5}) in {cache}"
    return (
        f"to provide {spec.name} by hand, pass --data-dir DIR or set {spec.env_var}=DIR, "
        f"where DIR holds {names} (gzipped or not){archive}{spec.install_hint}"
    )


def _cached_copy_ok(path: Path, remote: RemoteFile) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return _verified(path, stat.st_mtime_ns, stat.st_size, remote)


@functools.lru_cache(maxsize=32)
def _verified(path: Path, mtime_ns: int, size: int, remote: RemoteFile) -> bool:
    # Keyed on mtime and size so that an md5 is computed once per file version, not per load.
    return verify_file(path, remote)


def _load(spec: DatasetSpec, images_path: Path, labels_path: Path, how: str) -> ImageData:
    images_path, labels_path = images_path.resolve(), labels_path.resolve()
    try:
        stamps = tuple((s.st_mtime_ns, s.st_size) for s in (images_path.stat(), labels_path.stat()))
    except OSError as exc:
        raise DataError(
            f"cannot read {exc.filename}: {exc.strerror}; expected a readable IDX file"
        ) from exc
    images, labels, fingerprint = _parse_pair(
        images_path, labels_path, stamps, len(spec.class_names), spec.label_offset, spec.transposed
    )
    return ImageData(
        images=images,
        labels=labels,
        class_names=spec.class_names,
        source=f"{images_path.parent} ({how})",
        fingerprint=fingerprint,
    )


@functools.lru_cache(maxsize=8)
def _parse_pair(
    images_path: Path,
    labels_path: Path,
    stamps: tuple[tuple[int, int], ...],
    num_classes: int,
    label_offset: int = 0,
    transposed: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, str]:
    # ``stamps`` (mtime, size) is only part of the cache key: a replaced file is re-read.
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(
            f"{images_path} holds an array of shape {images.shape}; expected "
            f"N×{IMAGE_SIZE}×{IMAGE_SIZE} images"
        )
    if labels.ndim != 1:
        raise DataError(
            f"{labels_path} holds an array of shape {labels.shape}; expected one label per image"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; expected the same number"
        )
    if len(images) == 0:
        raise DataError(f"{images_path} holds no images; expected at least one")
    labels = _classes(labels, labels_path, num_classes, label_offset)
    if transposed:  # stored column by column: turned upright
        images = np.ascontiguousarray(images.transpose(0, 2, 1))
    digest = hashlib.sha256(images)  # hashes the contiguous buffer without a copy
    digest.update(labels)
    return (
        torch.from_numpy(images),
        torch.from_numpy(labels.astype(np.int64)),
        digest.hexdigest()[:16],
    )


def _classes(labels: np.ndarray, path: Path, num_classes: int, offset: int) -> np.ndarray:
    """The file's labels as classes 0..num_classes-1 (minus ``offset``: EMNIST letters are
    numbered from 1), or a one-line error naming the first label out of range."""
    low, high = int(labels.min()), int(labels.max())
    if low < offset or high >= offset + num_classes:
        bad = low if low < offset else high
        raise DataError(
            f"{path} holds label {bad}; expected labels {offset} to {offset + num_classes - 1}"
        )
    return labels - np.uint8(offset) if offset else labels
