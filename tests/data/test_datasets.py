"""load_dataset: each place a copy may come from, each way a copy may be wrong."""

import dataclasses
import hashlib
import re
import shutil
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.data.local_http import serving

from ganforge.config.schema import DATASET_NAMES
from ganforge.data import (
    DATASET_ALIASES,
    DATASETS,
    dataset_name,
    ganforge_home,
    load_dataset,
    write_idx,
)
from ganforge.data.download import RemoteFile
from ganforge.errors import ConfigError, DataError, DownloadError

MNIST_TRAIN_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No user environment leaks in: an empty cache, no directory overrides."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    for spec in DATASETS.values():
        monkeypatch.delenv(spec.env_var, raising=False)


@pytest.fixture
def no_network(monkeypatch):
    """Point every dataset at a closed local port and hide system copies."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    for key, spec in DATASETS.items():
        monkeypatch.setitem(
            DATASETS, key, dataclasses.replace(spec, mirrors=(dead,), system_dirs=())
        )
    return dead


def _write_split(directory: Path, prefix: str, n: int, suffix: str = ".gz", seed: int = 0):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


def test_ganforge_home(monkeypatch, tmp_path):
    assert ganforge_home() == tmp_path / "home"
    monkeypatch.delenv("GANFORGE_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    expected = {"win32": tmp_path / "local", "darwin": Path.home() / "Library" / "Caches"}
    assert ganforge_home() == expected.get(sys.platform, tmp_path / "xdg") / "ganforge"


def test_unknown_name_and_split():
    with pytest.raises(
        DataError, match="mnist, fashion-mnist, kmnist, emnist-letters or emnist-balanced"
    ):
        load_dataset("cifar")
    with pytest.raises(DataError, match="train, test"):
        load_dataset("mnist", split="validation")


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("fashion", "fashion-mnist"),
        ("fmnist", "fashion-mnist"),
        ("FMNIST", "fashion-mnist"),
        ("Fashion-MNIST", "fashion-mnist"),
        ("fashion_mnist", "fashion-mnist"),
        ("fashion-mnist", "fashion-mnist"),
        ("MNIST", "mnist"),
        ("mnist", "mnist"),
    ],
)
def test_short_names_stand_for_the_dataset(typed, name):
    assert dataset_name(typed) == name


@pytest.mark.parametrize("typed", ["cifar", "fashin", "", None, 3])
def test_another_name_is_refused_with_the_names_listed(typed):
    with pytest.raises(DataError) as info:
        dataset_name(typed)
    message = str(info.value)
    assert "\n" not in message and repr(typed) in message
    assert all(name in message for name in [*DATASETS, "fashion", "fmnist"]), message
    with pytest.raises(
        ConfigError,
        match="expected mnist, fashion-mnist, kmnist, emnist-letters or emnist-balanced",
    ):
        dataset_name(typed, ConfigError)


def test_the_config_knows_every_dataset():
    # the config layer (below this one) checks a run's name against its own list
    assert tuple(DATASETS) == DATASET_NAMES
    assert set(DATASET_ALIASES.values()) <= set(DATASETS)


def test_an_alias_loads_the_dataset(monkeypatch, tmp_path):
    _write_split(tmp_path, "t10k", 12, suffix="")
    monkeypatch.setenv("GANFORGE_FASHION_MNIST_DIR", str(tmp_path))
    data = load_dataset("fmnist", "test")
    assert data.class_names[0] == "T-shirt/top" and "GANFORGE_FASHION_MNIST_DIR" in data.source
    assert load_dataset("fashion", "test").images is data.images


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_user_dir_gzipped_or_not(tmp_path, suffix):
    images, labels = _write_split(tmp_path / "d", "t10k", 30, suffix)
    data = load_dataset("mnist", "test", data_dir=tmp_path / "d")
    assert data.images.dtype == torch.uint8 and data.images.shape == (30, 28, 28)
    assert data.images.is_contiguous()
    assert data.labels.dtype == torch.int64
    assert np.array_equal(data.images.numpy(), images)
    assert np.array_equal(data.labels.numpy(), labels)
    assert data.num_classes == 10 and "--data-dir" in data.source
    expected = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()[:16]
    assert data.fingerprint == expected


def test_repeated_loads_are_cached(tmp_path):
    _write_split(tmp_path, "train", 20)
    first = load_dataset("mnist", data_dir=tmp_path)
    assert load_dataset("mnist", data_dir=tmp_path).images is first.images


def test_torchvision_layout_and_env_var(monkeypatch, tmp_path):
    _write_split(tmp_path / "FashionMNIST" / "raw", "train", 12, suffix="")
    monkeypatch.setenv("GANFORGE_FASHION_MNIST_DIR", str(tmp_path))
    data = load_dataset("fashion-mnist")
    assert len(data.labels) == 12 and data.class_names[0] == "T-shirt/top"
    assert "GANFORGE_FASHION_MNIST_DIR" in data.source


def test_empty_dir_names_expected_files(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("mnist", data_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message


def test_missing_dir(tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        load_dataset("mnist", data_dir=tmp_path / "nope")


@pytest.mark.parametrize(
    ("images", "labels", "words"),
    [
        (np.zeros((4, 28, 27), np.uint8), np.zeros(4, np.uint8), "28"),
        (np.zeros((4, 28, 28), np.uint8), np.zeros((4, 1), np.uint8), "one label per image"),
        (np.zeros((4, 28, 28), np.uint8), np.zeros(5, np.uint8), "4 images"),
        (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), "no images"),
        (np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 2, 10], np.uint8), "label 10"),
    ],
)
def test_inconsistent_files_are_rejected(tmp_path, images, labels, words):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataError, match=words):
        load_dataset("mnist", data_dir=tmp_path)


def test_offline_without_a_copy(no_network, tmp_path):
    with pytest.raises(DataError, match="--data-dir") as info:
        load_dataset("mnist", download=False)
    assert "GANFORGE_MNIST_DIR" in str(info.value)
    with pytest.raises(DownloadError, match="--data-dir") as info:
        load_dataset("fashion-mnist", "test")
    message = str(info.value)
    assert no_network + "t10k-images-idx3-ubyte.gz" in message
    assert "apt-get install dataset-fashion-mnist" in message and "\n" not in message


def test_download_then_cache(monkeypatch, tmp_path):
    # Publish a small synthetic "mnist" from a local server, download it, then reuse the cache.
    served = tmp_path / "served"
    _write_split(served, "t10k", 25)
    remotes = tuple(
        RemoteFile(
            name,
            hashlib.md5((served / name).read_bytes()).hexdigest(),
            (served / name).stat().st_size,
        )
        for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    )
    with serving(served) as url:
        spec = dataclasses.replace(DATASETS["mnist"], files={"test": remotes}, mirrors=(url,))
        monkeypatch.setitem(DATASETS, "mnist", spec)
        data = load_dataset("mnist", "test")
    assert data.images.shape == (25, 28, 28) and "download cache" in data.source
    cache = tmp_path / "home" / "datasets" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(r.name for r in remotes)
    assert load_dataset("mnist", "test", download=False).fingerprint == data.fingerprint
    # A cached file that no longer matches its md5 is not trusted.
    (cache / remotes[1].name).write_bytes(b"\0" * remotes[1].size)
    with pytest.raises(DataError, match="no verified copy"):
        load_dataset("mnist", "test", download=False)


@pytest.mark.mnist
@pytest.mark.parametrize(("split", "counts"), [("train", MNIST_TRAIN_COUNTS), ("test", None)])
def test_real_mnist_subset(mnist_dir, split, counts):
    data = load_dataset("mnist", split, data_dir=mnist_dir)
    assert data.images.shape == (10000, 28, 28) and data.images.dtype == torch.uint8
    assert len(data.labels) == 10000 and int(data.labels.max()) == 9
    if counts is not None:
        assert torch.bincount(data.labels).tolist() == counts


@pytest.mark.mnist
def test_truncated_real_copy_names_the_file(mnist_dir, tmp_path):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(mnist_dir / name, tmp_path / name)
    broken = tmp_path / "t10k-images-idx3-ubyte.gz"
    broken.write_bytes(broken.read_bytes()[:-1000])
    with pytest.raises(DataError, match=re.escape(str(broken))):
        load_dataset("mnist", "test", data_dir=tmp_path)


def test_fashion_mnist_system_copy(fashion_dir):
    data = load_dataset("fashion-mnist", "test", download=False)
    assert data.images.shape == (10000, 28, 28) and "system copy" in data.source
    train = load_dataset("fashion-mnist", "train", download=False)
    assert train.images.shape == (60000, 28, 28)
    assert torch.bincount(data.labels).tolist() == [1000] * 10
