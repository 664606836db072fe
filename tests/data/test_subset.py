"""``training_subset``: a seeded, class-balanced subset of the training split (``--data-limit``,
``--data-fraction``), the same every time and whatever the training seed."""

import numpy as np
import pytest
import torch

from ganforge.data import DataLimit, ImageData, load_dataset, training_subset
from ganforge.data.pixels import fingerprint
from ganforge.data.subset import class_quotas
from ganforge.errors import DataError


def labelled(counts: list[int], seed: int = 0) -> ImageData:
    """Random images, ``counts[k]`` of class k, the classes interleaved."""
    labels = torch.cat([torch.full((c,), k) for k, c in enumerate(counts)])
    labels = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))]
    g = torch.Generator().manual_seed(seed + 1)
    images = torch.randint(0, 256, (len(labels), 28, 28), dtype=torch.uint8, generator=g)
    return ImageData(images, labels, tuple(map(str, range(len(counts)))), "test images", "f" * 16)


@pytest.fixture(scope="module")
def mnist(mnist_dir) -> ImageData:
    return load_dataset("mnist", "train", mnist_dir)


def rows(images: torch.Tensor) -> list[bytes]:
    return [bytes(image) for image in images.numpy()]


def test_class_quotas_share_equally_and_give_the_remainder_in_the_seeded_order() -> None:
    assert class_quotas([50] * 4, 20, [0, 1, 2, 3]) == [5, 5, 5, 5]
    assert class_quotas([50] * 4, 22, [2, 0, 1, 3]) == [6, 5, 6, 5]
    # A short class gives all it has; its shortfall is spread over the others.
    assert class_quotas([2, 50, 50, 50], 20, [0, 1, 2, 3]) == [2, 6, 6, 6]
    assert class_quotas([2, 50, 50, 50], 21, [0, 3, 1, 2]) == [2, 6, 6, 7]
    assert class_quotas([0, 3, 100], 50, [0, 1, 2]) == [0, 3, 47]
    assert class_quotas([3, 4], 7, [1, 0]) == [3, 4]  # all of them


@pytest.mark.mnist
def test_1000_images_of_mnist_are_100_of_each_class(mnist) -> None:
    subset, record = training_subset(mnist, DataLimit(1000))
    assert torch.bincount(subset.labels, minlength=10).tolist() == [100] * 10
    assert record == {
        "limit": 1000,
        "seed": 0,
        "images": 1000,
        "of": 10_000,
        "class_balanced": True,
        "per_class": [100] * 10,
    }
    assert "a class-balanced subset of 1,000 of its 10,000 images (seed 0)" in subset.source
    assert subset.fingerprint == fingerprint(subset.images.numpy(), subset.labels.numpy())


@pytest.mark.mnist
def test_1005_images_give_the_five_left_over_to_the_first_classes_in_the_seeded_order(
    mnist,
) -> None:
    subset, record = training_subset(mnist, DataLimit(1005))
    counts = torch.bincount(subset.labels, minlength=10).tolist()
    order = torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist()  # documented
    assert counts == record["per_class"]
    assert [counts[k] for k in order] == [101] * 5 + [100] * 5


@pytest.mark.mnist
def test_the_subset_is_a_subset_of_the_split_in_its_order_with_its_labels(mnist) -> None:
    subset, _ = training_subset(mnist, DataLimit(300))
    index = {row: i for i, row in enumerate(rows(mnist.images))}
    picked = [index[row] for row in rows(subset.images)]
    assert len(set(picked)) == 300 and picked == sorted(picked)
    assert np.array_equal(subset.labels.numpy(), mnist.labels.numpy()[picked])


@pytest.mark.mnist
def test_the_same_images_every_time_and_others_for_another_subset_seed(mnist) -> None:
    first, _ = training_subset(mnist, DataLimit(500))
    torch.manual_seed(1234)  # the training seed, or any global state, changes nothing
    again, _ = training_subset(mnist, DataLimit(500))
    assert torch.equal(first.images, again.images) and first.fingerprint == again.fingerprint
    other, record = training_subset(mnist, DataLimit(500, seed=7))
    assert record["seed"] == 7 and other.fingerprint != first.fingerprint
    assert torch.bincount(other.labels).tolist() == [50] * 10


@pytest.mark.mnist
def test_a_fraction_is_rounded_and_the_test_split_is_untouched(mnist, mnist_dir) -> None:
    test = load_dataset("mnist", "test", mnist_dir)
    subset, record = training_subset(mnist, DataLimit(fraction=0.0123))
    assert len(subset.images) == round(0.0123 * 10_000) == 123
    assert record["fraction"] == 0.0123 and "limit" not in record
    assert sorted(record["per_class"]) == [12] * 7 + [13] * 3
    assert load_dataset("mnist", "test", mnist_dir).fingerprint == test.fingerprint
    whole, none = training_subset(mnist, DataLimit())
    assert whole is mnist and none is None


def test_short_classes_give_all_they_have() -> None:
    data = labelled([3, 40, 40])
    subset, record = training_subset(data, DataLimit(30))
    assert record["per_class"] == [3, 14, 13] or record["per_class"] == [3, 13, 14]
    assert torch.bincount(subset.labels).tolist() == record["per_class"]


def test_unlabelled_data_gets_a_plain_seeded_subset() -> None:
    data = labelled([100])
    data = ImageData(data.images, data.labels * 0, ("unlabelled",), "flat", "f" * 16, False)
    subset, record = training_subset(data, DataLimit(7))
    assert len(subset.images) == 7 and record["class_balanced"] is False
    assert "per_class" not in record and "a random subset of 7 of its 100" in subset.source
    assert torch.equal(training_subset(data, DataLimit(7))[0].images, subset.images)


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (DataLimit(101), "--data-limit 101 asks for more images than the training split has (100"),
        (DataLimit(9), "--data-limit 9 is fewer images than the training data's 10 classes"),
        (DataLimit(fraction=0.004), "--data-fraction 0.004 of the training split's 100 images"),
    ],
)
def test_impossible_sizes_are_one_line(limit, message) -> None:
    with pytest.raises(DataError) as err:
        training_subset(labelled([10] * 10), limit)
    assert message in str(err.value) and "\n" not in str(err.value)
