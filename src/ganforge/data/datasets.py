"""The datasets ganforge knows (:data:`DATASETS`): for each, its published files (or the
archive holding them) with their md5s and sizes, the mirrors that serve them, its class names,
and where local copies of it may be found; the short names people type for them
(:data:`DATASET_ALIASES`, resolved by :func:`dataset_name`); and :class:`ImageData`, a loaded
split. :mod:`ganforge.data.loading` finds and loads them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganforge.data.archive import Archive
from ganforge.data.download import RemoteFile
from ganforge.errors import DataError, GanforgeError

__all__ = ["DATASETS", "DATASET_ALIASES", "DatasetSpec", "ImageData", "dataset_name"]


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset is published and where local copies of it may be found.

    ``files`` maps a split ("train", "test") to its (images, labels) published files; a
    dataset published inside an archive has none, but ``archive`` and ``members``, which
    maps a split to the names of its (images, labels) files in the archive's
    ``members_dir``. ``mirrors`` serve the files or the archive. ``torchvision_subdir`` is
    where torchvision keeps the raw files under its root, so a torchvision download can be
    given as a data directory too. ``install_hint`` is appended to the message that explains
    how to provide the files by hand. The files' labels minus ``label_offset`` are the
    classes; ``transposed`` images are stored column by column (EMNIST's) and turned upright.
    """

    name: str
    files: Mapping[str, tuple[RemoteFile, RemoteFile]]
    mirrors: tuple[str, ...]
    class_names: tuple[str, ...]
    env_var: str
    system_dirs: tuple[Path, ...] = ()
    torchvision_subdir: str = ""
    install_hint: str = ""
    archive: Archive | None = None
    members: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    label_offset: int = 0
    transposed: bool = False

    @property
    def splits(self) -> tuple[str, ...]:
        """The splits published ("train", "test")."""
        return tuple(self.files or self.members)

    def file_names(self, split: str) -> tuple[str, str]:
        """The names of ``split``'s (images, labels) files, published or in the archive."""
        if split in self.members:
            return self.members[split]
        images, labels = self.files[split]
        return images.name, labels.name

    @property
    def mirrors_env_var(self) -> str:
        """The variable that may list other mirrors: ``GANFORGE_KMNIST_MIRRORS`` and so on."""
        return f"GANFORGE_{self.name.upper().replace('-', '_')}_MIRRORS"


@dataclass(frozen=True, eq=False)  # eq on tensors would be elementwise, not a bool
class ImageData:
    """A loaded split: images (uint8, N×28×28, contiguous) and labels (int64, N).

    ``source`` says where the files came from; ``fingerprint`` is the first 16 hex digits of
    the sha256 of the image bytes followed by the uint8 label bytes, for run summaries.
    The tensors are shared between loads of the same files: treat them as read-only.
    ``labelled`` is False for a user's images without classes (one class, all labels 0).
    """

    images: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, ...]
    source: str
    fingerprint: str
    labelled: bool = True

    @property
    def num_classes(self) -> int:
        """Number of classes, i.e. ``len(class_names)``."""
        return len(self.class_names)


# EMNIST is published as one zip of every split's gzipped IDX files. md5: torchvision's;
# size: TensorFlow Datasets' (url_checksums/emnist.txt).
EMNIST_ARCHIVE = Archive(
    RemoteFile("gzip.zip", "58c8d27c78d21e728a6bc7b3cc06412e", 561753746), "emnist", "gzip/"
)
EMNIST_MIRRORS = (
    "https://biometrics.nist.gov/cs_links/EMNIST/",
    "https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/",
)


def _emnist_members(split: str) -> dict[str, tuple[str, str]]:
    return {
        part: (
            f"emnist-{split}-{part}-images-idx3-ubyte.gz",
            f"emnist-{split}-{part}-labels-idx1-ubyte.gz",
        )
        for part in ("train", "test")
    }


DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        files={
            "train": (
                RemoteFile(
                    "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422
                ),
                RemoteFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
            ),
            "test": (
                RemoteFile(
                    "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1648877
                ),
                RemoteFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542),
            ),
        },
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        class_names=tuple(str(digit) for digit in range(10)),
        env_var="GANFORGE_MNIST_DIR",
        torchvision_subdir="MNIST/raw",
    ),
    # md5s are torchvision's. The sizes are the published ones (Keras download logs show the
    # same); Debian's dataset-fashion-mnist does NOT ship the original files: it recompressed
    # them without the gzip file-name field (each is exactly len(name)+1 bytes smaller, with
    # a 2020 timestamp), so their md5s differ and the system copy is validated by parsing.
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        files={
            "train": (
                RemoteFile(
                    "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880
                ),
                RemoteFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29515),
            ),
            "test": (
                RemoteFile(
                    "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4422102
                ),
                RemoteFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5148),
            ),
        },
        # The project's own S3 website endpoint is http-only, so only HTTPS mirrors here.
        mirrors=(
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        env_var="GANFORGE_FASHION_MNIST_DIR",
        system_dirs=(Path("/usr/share/datasets/fashion-mnist"),),
        torchvision_subdir="FashionMNIST/raw",
        install_hint=(
            "; or run `apt-get install dataset-fashion-mnist`, which puts them in "
            "/usr/share/datasets/fashion-mnist"
        ),
    ),
    # md5s are torchvision's; sizes are TensorFlow Datasets' (url_checksums/kmnist.txt), the
    # same as torchvision's download logs show. The files are at codh.rois.ac.jp, over HTTPS.
    "kmnist": DatasetSpec(
        name="kmnist",
        files={
            "train": (
                RemoteFile(
                    "train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7", 18165135
                ),
                RemoteFile("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344", 29497),
            ),
            "test": (
                RemoteFile(
                    "t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7", 3041136
                ),
                RemoteFile("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134", 5120),
            ),
        },
        mirrors=("https://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
        # お き す つ な は ま や れ を, romanised so that they can be typed
        class_names=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        env_var="GANFORGE_KMNIST_DIR",
        torchvision_subdir="KMNIST/raw",
    ),
    "emnist-letters": DatasetSpec(
        name="emnist-letters",
        files={},
        mirrors=EMNIST_MIRRORS,
        class_names=tuple(string.ascii_lowercase),  # each letter's upper and lower case
        env_var="GANFORGE_EMNIST_LETTERS_DIR",
        torchvision_subdir="EMNIST/raw",
        archive=EMNIST_ARCHIVE,
        members=_emnist_members("letters"),
        label_offset=1,  # the files' labels are 1..26
        transposed=True,
    ),
    "emnist-balanced": DatasetSpec(
        name="emnist-balanced",
        files={},
        mirrors=EMNIST_MIRRORS,
        # The official mapping: digits, capitals, then the lower-case letters whose shapes
        # differ from their capitals' (the others are merged into the capital).
        class_names=tuple(string.digits + string.ascii_uppercase + "abdefghnqrt"),
        env_var="GANFORGE_EMNIST_BALANCED_DIR",
        torchvision_subdir="EMNIST/raw",
        archive=EMNIST_ARCHIVE,
        members=_emnist_members("balanced"),
        transposed=True,
    ),
}

DATASET_ALIASES: dict[str, str] = {
    "fashion": "fashion-mnist",
    "fmnist": "fashion-mnist",
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "kuzushiji": "kmnist",
    "kuzushiji-mnist": "kmnist",
    "letters": "emnist-letters",
    "emnist_letters": "emnist-letters",
    "emnist_balanced": "emnist-balanced",
}
"""Short names accepted wherever a dataset is named (``--dataset``, a YAML ``dataset:``), each
standing for its canonical name, the one a run records."""


def dataset_name(name: object, error: type[GanforgeError] = DataError) -> str:
    """The canonical name (a key of :data:`DATASETS`) of the dataset called ``name``: its own
    name or one of :data:`DATASET_ALIASES`, in any case. Anything else raises ``error`` with
    a one-line message that lists the names."""
    if isinstance(name, str):
        key = name.strip().lower()
        key = DATASET_ALIASES.get(key, key)
        if key in DATASETS:
            return key
    raise error(f"unknown dataset {name!r}; expected {dataset_choices()}")


def dataset_choices() -> str:
    """The names a dataset may be given by, for help texts and errors:
    ``mnist, fashion-mnist, ... or emnist-balanced (also fashion, fmnist, ...)``."""
    *first, last = DATASETS
    return f"{', '.join(first)} or {last} (also {', '.join(DATASET_ALIASES)})"
