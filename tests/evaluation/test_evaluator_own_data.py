"""The evaluator of the user's own data: a classifier of its classes when it is labelled, a
network that tells rotations apart when it is not (its features alone then measure), and the
calibration sets of such data, on real MNIST digits."""

from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.data import DataSource, load_dataset
from ganforge.errors import CheckpointError, DataError
from ganforge.evaluation import classifier_cache
from ganforge.evaluation.calibration import calibration_sets, kmeans
from ganforge.evaluation.classifier import load_evaluator, train_evaluator
from ganforge.evaluation.evaluate import NO_CLASSES, evaluate_images, real_reference
from ganforge.evaluation.rotation import every_rotation, random_rotations, rotate

N = 600
NAMES = ("zero", "one", "two")


@pytest.fixture(scope="module")
def own(mnist_dir, tmp_path_factory) -> dict[str, Path]:
    """Real MNIST test digits 0, 1 and 2 as a labelled .npz with class names, the same
    unlabelled, and one of a single class."""
    test = load_dataset("mnist", "test", mnist_dir)
    keep = test.labels < 3
    images, labels = test.images[keep][:N].numpy(), test.labels[keep][:N].numpy()
    root = tmp_path_factory.mktemp("own")
    np.savez(root / "labelled.npz", images=images, labels=labels, class_names=np.array(NAMES))
    np.savez(root / "unlabelled.npz", images=images)
    ones = test.images[test.labels == 1][:200].numpy()
    np.savez(root / "one_class.npz", images=ones, labels=np.zeros(len(ones), dtype=np.int64))
    return {"labelled": root / "labelled.npz", "unlabelled": root / "unlabelled.npz",
            "one_class": root / "one_class.npz"}  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANFORGE_HOME", str(tmp_path_factory.mktemp("home")))
        yield


def source(path: Path) -> DataSource:
    return DataSource("custom", data=path)


def test_rotate_turns_each_image_by_its_own_quarter_turns() -> None:
    x = torch.arange(9).view(1, 3, 3).repeat(4, 1, 1)
    turned = rotate(x, torch.tensor([0, 1, 2, 3]))
    assert torch.equal(turned[0], x[0])
    assert turned[1].tolist() == [[2, 5, 8], [1, 4, 7], [0, 3, 6]]  # counter-clockwise
    assert turned[2].tolist() == [[8, 7, 6], [5, 4, 3], [2, 1, 0]]
    assert turned[3].tolist() == [[6, 3, 0], [7, 4, 1], [8, 5, 2]]
    images, turns = every_rotation(x[:2])
    assert turns.tolist() == [0, 0, 1, 1, 2, 2, 3, 3] and images.shape == (8, 3, 3)
    drawn, targets = random_rotations(x, torch.Generator().manual_seed(0))
    assert torch.equal(drawn, rotate(x, targets))


def test_kmeans_separates_two_far_groups() -> None:
    g = torch.Generator().manual_seed(0)
    points = torch.cat([torch.randn(30, 2, generator=g), torch.randn(20, 2, generator=g) + 50])
    assigned = kmeans(points.double(), 2)
    assert len(set(assigned[:30].tolist())) == 1 and len(set(assigned[30:].tolist())) == 1
    assert assigned[0] != assigned[30]


def test_unlabelled_data_gets_a_rotation_network_and_feature_metrics(own, home) -> None:
    real = source(own["unlabelled"])
    evaluator = train_evaluator(real, display=False)  # 20 epochs of 540 images
    assert (evaluator.task, evaluator.net.num_outputs) == ("rotation", 4)
    assert not evaluator.classifies
    assert evaluator.test_accuracy > 0.5  # of four rotations: chance is 0.25
    assert evaluator.identity()["task"] == "rotation"
    again = classifier_cache.read_evaluator(evaluator.path)
    assert (again.task, again.weights_hash) == ("rotation", evaluator.weights_hash)
    assert load_evaluator(real, train_if_missing=False).weights_hash == evaluator.weights_hash
    reference = real_reference(evaluator, real)
    test = real.load("test").images
    result = evaluate_images(test, None, evaluator, reference)
    assert result["class_metrics"] == NO_CLASSES
    assert "class_accuracy" not in result and "inception_score_mean" not in result
    noise = torch.randint(0, 256, test.shape, dtype=torch.uint8, generator=torch.Generator())
    assert evaluate_images(noise, None, evaluator, reference)["fid"] > 10 * result["fid"]
    with pytest.raises(DataError, match="unlabelled: samples cannot have requested classes"):
        evaluate_images(test, torch.zeros(len(test), dtype=torch.int64), evaluator, reference)
    sets = calibration_sets(real.load("train"), n=100, evaluator=evaluator)
    assert "one cluster (1 of 10, k-means)" in sets
    assert sets["real (train split)"][1] is None


def test_labelled_data_gets_a_classifier_of_its_classes(own, home) -> None:
    real = source(own["labelled"])
    evaluator = train_evaluator(real, display=False)  # 20 epochs of 540 images
    assert (evaluator.task, evaluator.net.num_outputs) == ("classes", 3)
    assert evaluator.test_accuracy > 0.8  # zeros, ones and twos
    identity = evaluator.identity()
    assert (identity["task"], identity["num_classes"]) == ("classes", 3)
    reference = real_reference(evaluator, real)
    test = real.load("test")
    result = evaluate_images(test.images, test.labels, evaluator, reference)
    assert result["class_accuracy"] == pytest.approx(evaluator.test_accuracy, abs=1e-6)
    assert len(result["class_accuracy_per_class"]) == 3
    with pytest.raises(DataError, match=r"labels must be classes 0\.\.2"):
        evaluate_images(test.images, test.labels + 1, evaluator, reference)
    assert "one class (one)" in calibration_sets(real.load("train"), n=100, evaluator=evaluator)


def test_one_class_is_measured_as_unlabelled_data_is(own, home) -> None:
    evaluator = train_evaluator(source(own["one_class"]), epochs=1, display=False)
    assert evaluator.task == "rotation"


def test_a_cache_file_of_an_unknown_task_is_refused(own, home, tmp_path) -> None:
    evaluator = load_evaluator(source(own["unlabelled"]), display=False)
    tensors, meta = classifier_cache.read_safetensors(evaluator.path, "evaluator")
    for bad in ({"task": "colour"}, {"num_outputs": 0}, {"num_outputs": "4"}):
        path = tmp_path / "bad.safetensors"
        classifier_cache.write_safetensors(path, tensors, {**meta, **bad}, "evaluator")
        with pytest.raises(CheckpointError, match="corrupt or modified evaluator"):
            classifier_cache.read_evaluator(path)
