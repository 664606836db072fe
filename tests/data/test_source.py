"""``DataSource``: a known dataset's published splits, or the user's own data with its
``--test-data`` or a fixed, seeded hold-out that is the same every time."""

from pathlib import Path

import numpy as np
import pytest

from ganforge.data import DataSource, load_dataset
from ganforge.data.source import HOLDOUT_MAX, holdout_sizes
from ganforge.errors import DataError


def arrays(path: Path, n: int, classes: int | None = 3, seed: int = 0) -> Path:
    """An .npz of ``n`` random 28×28 images (labels 0..classes-1 unless None)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    extra = {} if classes is None else {"labels": np.arange(n) % classes}
    np.savez(path, images=images, **extra)
    return path


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(
    ("n", "share", "sizes"),
    [(300, 0.1, (270, 30)), (2, 0.1, (1, 1)), (7, 0.5, (3, 4)), (200_000, 0.1, (190_000, 10_000))],
)
def test_holdout_sizes(n, share, sizes) -> None:
    assert holdout_sizes(n, share) == sizes
    assert holdout_sizes(n, share)[1] <= HOLDOUT_MAX


def test_one_image_cannot_be_split() -> None:
    with pytest.raises(DataError, match=r"1 image\(s\) cannot be split"):
        holdout_sizes(1)


def test_the_holdout_partitions_the_data_the_same_way_every_time(tmp_path) -> None:
    path = arrays(tmp_path / "a.npz", 300)
    source = DataSource("custom", data=path)
    train, test = source.load("train"), source.load("test")
    assert (len(train.images), len(test.images)) == (270, 30)
    whole = np.load(path)
    rows = {bytes(image) for image in whole["images"]}
    picked = [bytes(image) for image in np.concatenate([train.images, test.images])]
    assert len(set(picked)) == 300 and set(picked) == rows  # a partition of the data
    again = DataSource("custom", data=path).load("test")
    assert np.array_equal(again.images, test.images) and again.fingerprint == test.fingerprint
    # Labels stay with their images; the training split keeps the file's order.
    index = {bytes(image): i for i, image in enumerate(whole["images"])}
    order = [index[bytes(image)] for image in train.images.numpy()]
    assert order == sorted(order)
    assert np.array_equal(train.labels.numpy(), whole["labels"][order])
    assert train.fingerprint != test.fingerprint and "270 of 300 images" in train.source
    wider = DataSource("custom", data=path, holdout=0.5).load("test")
    assert len(wider.images) == 150


def test_test_data_is_the_test_split_when_it_fits(tmp_path) -> None:
    train_path, test_path = arrays(tmp_path / "a.npz", 50), arrays(tmp_path / "b.npz", 20, seed=1)
    source = DataSource("custom", data=train_path, test_data=test_path)
    assert len(source.load("train").images) == 50 and len(source.load("test").images) == 20
    record = source.record()
    assert record["test_split"] == "test_data" and record["test_images"] == 20
    unlabelled = arrays(tmp_path / "c.npz", 20, classes=None)
    with pytest.raises(DataError, match="both be labelled or both not"):
        DataSource("custom", data=train_path, test_data=unlabelled).load("test")
    more = arrays(tmp_path / "d.npz", 20, classes=5)
    with pytest.raises(DataError, match="expected the training data's: 0, 1, 2"):
        DataSource("custom", data=train_path, test_data=more).load("test")


def test_a_known_dataset_has_its_published_splits(mnist_dir) -> None:
    source = DataSource.of("mnist", mnist_dir)
    assert source.load("test").fingerprint == load_dataset("mnist", "test", mnist_dir).fingerprint
    assert source.record() is None and source.name == "mnist"
    assert DataSource.of(source) is source
    with pytest.raises(ValueError, match="split must be"):
        source.load("validation")
