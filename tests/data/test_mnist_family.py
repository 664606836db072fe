"""KMNIST, EMNIST letters and EMNIST balanced: what is pinned for them, KMNIST downloaded and
checked from a local server like MNIST, EMNIST's files read from a folder (turned upright,
letters numbered from 0), and the mirrors variable of every dataset."""

import dataclasses
import hashlib
import string
from pathlib import Path

import numpy as np
import pytest

from ganforge.config.schema import DATASET_NAMES
from ganforge.data import DATASETS, RemoteFile, dataset_name, load_dataset, write_idx
from ganforge.errors import DataError, DownloadError

KMNIST_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


@pytest.fixture(autouse=True)
def _home(clean_home):
    return clean_home


def write_pair(directory: Path, images_name: str, labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Random 28×28 images, one per label, as ``images_name`` and its labels file (the name
    with ``labels-idx1`` for ``images-idx3``), gzipped if the name ends in .gz."""
    directory.mkdir(parents=True, exist_ok=True)
    images = np.random.default_rng(seed).integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
    write_idx(directory / images_name, images)
    write_idx(directory / images_name.replace("images-idx3", "labels-idx1"), labels)
    return images


def own_checksums(spec, root: Path):
    """``spec`` with each published file's md5 and size replaced by those of the file of that
    name in ``root`` (the synthetic files a test serves); the production ones stay as they are."""

    def own(remote: RemoteFile) -> RemoteFile:
        data = (root / remote.name).read_bytes()
        return RemoteFile(remote.name, hashlib.md5(data).hexdigest(), len(data))

    files = {
        split: (own(i), own(lab)) for split, (i, lab) in spec.files.items() if split == "train"
    }
    return dataclasses.replace(spec, files=files)


def test_what_is_pinned_for_each_new_dataset():
    kmnist = DATASETS["kmnist"]
    assert [(r.name, r.md5, r.size) for pair in kmnist.files.values() for r in pair] == [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7", 18165135),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344", 29497),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7", 3041136),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134", 5120),
    ]
    assert kmnist.class_names == ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    letters, balanced = DATASETS["emnist-letters"], DATASETS["emnist-balanced"]
    assert letters.archive is balanced.archive
    zipped = letters.archive.remote
    assert (zipped.name, zipped.md5, zipped.size) == (
        "gzip.zip",
        "58c8d27c78d21e728a6bc7b3cc06412e",
        561753746,
    )
    assert letters.class_names == tuple(string.ascii_lowercase) and letters.label_offset == 1
    assert len(balanced.class_names) == 47 and balanced.label_offset == 0
    assert balanced.class_names[9:12] == ("9", "A", "B")
    assert "".join(balanced.class_names[36:]) == "abdefghnqrt"
    assert balanced.file_names("test") == (
        "emnist-balanced-test-images-idx3-ubyte.gz",
        "emnist-balanced-test-labels-idx1-ubyte.gz",
    )
    for spec in DATASETS.values():
        assert all(m.startswith("https://") for m in spec.mirrors), spec.name
        assert spec.splits == ("train", "test")
    assert DATASET_NAMES[2:] == ("kmnist", "emnist-letters", "emnist-balanced")


@pytest.mark.parametrize(
    ("typed", "name"),
    [("KMNIST", "kmnist"), ("kuzushiji", "kmnist"), ("letters", "emnist-letters"),
     ("EMNIST-Letters", "emnist-letters"), ("emnist_balanced", "emnist-balanced")],
)  # fmt: skip
def test_the_new_names_and_their_short_names(typed, name):
    assert dataset_name(typed) == name


def test_every_dataset_has_a_mirrors_variable_of_its_name():
    assert {n: s.mirrors_env_var for n, s in DATASETS.items()} == {
        "mnist": "GANFORGE_MNIST_MIRRORS",
        "fashion-mnist": "GANFORGE_FASHION_MNIST_MIRRORS",
        "kmnist": "GANFORGE_KMNIST_MIRRORS",
        "emnist-letters": "GANFORGE_EMNIST_LETTERS_MIRRORS",
        "emnist-balanced": "GANFORGE_EMNIST_BALANCED_MIRRORS",
    }


def test_kmnist_is_downloaded_checked_and_loaded(web, monkeypatch, clean_home):
    root, url = web
    labels = (np.arange(50) % 10).astype(np.uint8)
    images = write_pair(root, KMNIST_NAMES[0], labels)
    spec = own_checksums(DATASETS["kmnist"], root)
    monkeypatch.setitem(DATASETS, "kmnist", dataclasses.replace(spec, mirrors=(url,)))
    data = load_dataset("kmnist")
    assert np.array_equal(data.images.numpy(), images)
    assert np.array_equal(data.labels.numpy(), labels)
    assert data.class_names[1] == "ki" and data.num_classes == 10
    assert data.source == f"{clean_home / 'datasets' / 'kmnist'} (download cache)"
    assert sorted(p.name for p in (clean_home / "datasets" / "kmnist").iterdir()) == sorted(
        KMNIST_NAMES
    )
    again = load_dataset("kmnist", download=False)  # the cache, checked again by md5
    assert again.fingerprint == data.fingerprint


@pytest.mark.parametrize("spoil", ["short", "corrupt"])
def test_a_short_or_corrupt_download_is_refused_and_nothing_is_left(
    web, monkeypatch, clean_home, spoil
):
    root, url = web
    write_pair(root, KMNIST_NAMES[0], np.zeros(1, np.uint8))
    spec = own_checksums(DATASETS["kmnist"], root)  # the checksums of the good files
    published = root / KMNIST_NAMES[0]
    data, size = published.read_bytes(), published.stat().st_size
    if spoil == "short":
        published.write_bytes(data[:-10])
        words = f"got {size - 10} bytes, expected {size}"
    else:  # the same size, one bit flipped
        published.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
        words = f"md5 {hashlib.md5(published.read_bytes()).hexdigest()}, expected"
    monkeypatch.setitem(DATASETS, "kmnist", dataclasses.replace(spec, mirrors=(url,)))
    with pytest.raises(DownloadError, match=words) as info:
        load_dataset("kmnist")
    message = str(info.value)
    assert "\n" not in message and url + KMNIST_NAMES[0] in message
    assert f"md5 {spec.files['train'][0].md5}" in message and "GANFORGE_KMNIST_DIR" in message
    assert list((clean_home / "datasets" / "kmnist").iterdir()) == []


def test_the_mirrors_variable_is_tried_instead_of_the_mirrors(web, monkeypatch, dead_url):
    root, url = web
    write_pair(root, KMNIST_NAMES[0], np.arange(10, dtype=np.uint8))
    spec = dataclasses.replace(own_checksums(DATASETS["kmnist"], root), mirrors=(dead_url,))
    monkeypatch.setitem(DATASETS, "kmnist", spec)
    with pytest.raises(DownloadError, match=dead_url):
        load_dataset("kmnist")
    monkeypatch.setenv("GANFORGE_KMNIST_MIRRORS", f" {dead_url}, {url} ,")
    assert len(load_dataset("kmnist").labels) == 10


@pytest.mark.parametrize("layout", ["flat", "gzip", "EMNIST/raw"])
def test_emnist_letters_from_a_folder_upright_and_numbered_from_zero(tmp_path, layout):
    labels = (np.arange(52) % 26 + 1).astype(np.uint8)  # as published: 1..26
    suffix = "" if layout == "EMNIST/raw" else ".gz"  # torchvision keeps them gunzipped
    folder = tmp_path / "d" / ("" if layout == "flat" else layout)
    stored = write_pair(folder, f"emnist-letters-train-images-idx3-ubyte{suffix}", labels)
    stored[0] = 0
    stored[0, 2, 20] = 255  # a dot near the top right, as stored: column by column
    write_idx(folder / f"emnist-letters-train-images-idx3-ubyte{suffix}", stored)
    data = load_dataset("emnist-letters", data_dir=tmp_path / "d")
    assert data.images[0, 20, 2] == 255 and data.images[0, 2, 20] == 0  # turned upright
    assert np.array_equal(data.images.numpy(), stored.transpose(0, 2, 1))
    assert data.images.is_contiguous()
    assert data.labels.tolist() == [k % 26 for k in range(52)]
    assert data.num_classes == 26 and data.class_names[data.labels[2]] == "c"


def test_emnist_balanced_from_the_variable(tmp_path, monkeypatch):
    labels = np.arange(47, dtype=np.uint8)
    write_pair(tmp_path, "emnist-balanced-test-images-idx3-ubyte.gz", labels)
    monkeypatch.setenv("GANFORGE_EMNIST_BALANCED_DIR", str(tmp_path))
    data = load_dataset("emnist-balanced", "test")
    assert data.num_classes == 47 and data.labels.tolist() == list(range(47))
    assert data.class_names[int(data.labels[-1])] == "t"
    assert "GANFORGE_EMNIST_BALANCED_DIR" in data.source


@pytest.mark.parametrize(
    ("name", "labels", "expected"),
    [
        ("emnist-letters", [1, 0, 2], "holds label 0; expected labels 1 to 26"),
        ("emnist-letters", [1, 27], "holds label 27; expected labels 1 to 26"),
        ("emnist-balanced", [46, 47], "holds label 47; expected labels 0 to 46"),
        ("kmnist", [9, 10], "holds label 10; expected labels 0 to 9"),
    ],
)
def test_labels_out_of_range_are_refused_in_one_line(tmp_path, name, labels, expected):
    spec = DATASETS[name]
    images_name, labels_name = spec.file_names("train")
    write_pair(tmp_path, images_name, np.array(labels, np.uint8))
    with pytest.raises(DataError) as info:
        load_dataset(name, data_dir=tmp_path)
    assert str(info.value) == f"{tmp_path / labels_name} {expected}"


def test_a_folder_without_the_files_names_them(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("emnist-letters", "test", data_dir=tmp_path)
    assert str(info.value) == (
        f"--data-dir {tmp_path} lacks the emnist-letters test files; expected "
        "emnist-letters-test-images-idx3-ubyte.gz and emnist-letters-test-labels-idx1-ubyte.gz "
        "(gzipped or not, directly or under EMNIST/raw/)"
    )
