"""The metrics, calibrated on sets of known quality (real MNIST subset vs the test split)."""

import pytest
import torch

from ganforge.data import load_dataset
from ganforge.evaluation.calibration import (
    blurred,
    run_calibration,
    stroke_fragments,
)
from ganforge.evaluation.evaluate import evaluate_images, real_reference

pytestmark = [pytest.mark.mnist, pytest.mark.slow]
N = 4_000  # fewer than `ganforge evaluate --calibration`'s 10,000, to keep the suite short


@pytest.fixture(scope="module")
def calibration(mnist_dir, mnist_evaluator):
    train = load_dataset("mnist", "train", mnist_dir)
    reference = real_reference(mnist_evaluator, "mnist", mnist_dir)
    return run_calibration(train, mnist_evaluator, reference, n=N)


def test_fid_orders_real_blurred_and_noise_far_apart(calibration):
    fid = {name: r["fid"] for name, r in calibration.items()}
    real, blur_half, blur_one = fid["real (train split)"], fid["blurred σ=0.5"], fid["blurred σ=1"]
    noise = fid["uniform noise"]
    assert real < blur_half < blur_one < noise
    assert blur_one > 5 * real and noise > 5 * blur_one  # "far better", not a photo finish
    assert all(r["n_fake"] == N and r["n_real"] == 10_000 for r in calibration.values())


def test_real_images_cover_the_test_manifold(calibration):
    real = calibration["real (train split)"]
    # Coverage grows with n: 0.934 at n = 10,000 (README table), 0.81 at 5,000.
    assert real["precision"] > 0.7 and real["recall"] > 0.7 and real["coverage"] > 0.75
    assert real["classes_covered"] == 10 and real["class_kl"] < 0.01


def test_one_class_is_caught_by_recall_coverage_and_class_kl(calibration):
    (one,) = [r for name, r in calibration.items() if name.startswith("one class")]
    real = calibration["real (train split)"]
    assert one["recall"] < 0.2 and one["coverage"] < 0.2
    assert one["classes_covered"] == 1 and one["class_kl"] > 2.0  # log 10 = 2.30
    assert one["fid"] > 10 * real["fid"]


def test_stroke_fragments_fail_whatever_their_precision(calibration):
    """The precision trap: weakly activating fragments; FID, recall, coverage expose them."""
    frag = calibration["stroke fragments"]
    assert frag["fid"] > calibration["blurred σ=1"]["fid"]
    assert frag["recall"] < 0.05 and frag["coverage"] < 0.05


def test_real_test_images_conditional_accuracy_is_the_classifiers(mnist_dir, mnist_evaluator):
    test = load_dataset("mnist", "test", mnist_dir)
    reference = real_reference(mnist_evaluator, "mnist", mnist_dir)
    result = evaluate_images(test.images, test.labels, mnist_evaluator, reference)
    assert result["class_accuracy"] == pytest.approx(mnist_evaluator.test_accuracy, abs=1e-6)
    assert result["fid"] == pytest.approx(0.0, abs=1e-3)  # the test split against itself


def test_calibration_sets_are_what_they_say():
    images = torch.zeros(4, 28, 28, dtype=torch.uint8)
    images[:, 10:18, 10:18] = 255
    assert blurred(images, 1.0).float().std() < images.float().std()
    frag = stroke_fragments(torch.full((50, 28, 28), 255, dtype=torch.uint8), window=10)
    assert (frag.flatten(1).bool().sum(1) == 100).all()  # exactly one 10×10 window kept
