"""Sample-quality metrics against hand-computed values on tiny synthetic feature sets."""

from __future__ import annotations

import json
import math

import pytest
import torch

from ganforge.evaluation.metrics import (
    class_histogram,
    class_kl_from_uniform,
    classes_covered,
    conditional_accuracy,
    density_coverage,
    fid,
    inception_score,
    kid,
    per_class_fid,
    precision_recall,
    summarize,
)
from ganforge.evaluation.neighbour_metrics import _kth_neighbour_distance, ball_metrics

pytestmark = pytest.mark.usefixtures("one_thread")

# Three points with sample mean 0 and *unbiased* sample variance ((-1)² + 0² + 1²)/(3-1) = 1
# (the population variance would be 2/3). Scaling and shifting it gives any mean and std.
Z3 = torch.tensor([[-1.0], [0.0], [1.0]], dtype=torch.float64)


def _randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------------------------
# FID


def test_fid_1d_gaussians_uses_unbiased_variance() -> None:
    # real: mean 1, std 2; fake: mean 4, std 5 (unbiased, n-1).
    # FID = (1-4)² + (2-5)² = 9 + 9 = 18.
    # With the population variance (n) the stds would be 2·√(2/3) and 5·√(2/3), giving
    # 9 + (2/3)·9 = 15: the value 18 shows torchmetrics divides by n - 1.
    assert fid(1 + 2 * Z3, 4 + 5 * Z3) == pytest.approx(18.0, abs=1e-9)


def test_fid_2d_independent_coordinates() -> None:
    # Corners (±1, ±1) have mean 0 and per-axis sum of squares 4, cross sum 0: scaled by √3/2
    # their unbiased covariance is (4·3/4)/(4-1) = 1 per axis, 0 across: the identity.
    z = torch.tensor([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=torch.float64) * (3**0.5 / 2)
    real = z * torch.tensor([1.0, 1.0])  # mean (0, 0), stds (1, 1)
    fake = torch.tensor([3.0, 4.0]) + z * torch.tensor([2.0, 3.0])  # mean (3, 4), stds (2, 3)
    # ‖μ_r - μ_f‖² = 9 + 16 = 25; diagonal covariances: Σ (σ_r - σ_f)² = 1 + 4 = 5 → 30.
    assert fid(real, fake) == pytest.approx(30.0, abs=1e-9)


def test_fid_identical_symmetric_and_rotation_invariant() -> None:
    a, b = _randn(50, 4, seed=0), _randn(40, 4, seed=1) * 1.5 + 0.3
    assert fid(a, a) == pytest.approx(0.0, abs=1e-9)
    assert fid(a, b) == pytest.approx(fid(b, a), rel=1e-9)
    rotation, _ = torch.linalg.qr(_randn(4, 4, seed=2))
    assert fid(a @ rotation, b @ rotation) == pytest.approx(fid(a, b), rel=1e-6)


def test_fid_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="width"):
        fid(torch.zeros(5, 2), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="at least 2"):
        fid(torch.zeros(1, 2), torch.zeros(5, 2))
    with pytest.raises(ValueError, match="NaN"):
        fid(torch.full((3, 2), math.nan), torch.zeros(3, 2))


# --------------------------------------------------------------------------------------------
# KID


def test_kid_hand_computed_1d() -> None:
    # d = 1, k(x, y) = (xy + 1)³; subset_size clamps to m = 2, so every "subset" is the whole
    # set (in some order) and the std is 0.
    # real {0, 1}: off-diagonal k(0,1) = 1                → Σ_{i≠j}/(m(m-1)) = 2/2 = 1
    # fake {2, 3}: off-diagonal k(2,3) = 7³ = 343         → 686/2 = 343
    # cross: k(0,2)=1, k(0,3)=1, k(1,2)=27, k(1,3)=64     → 93/m² = 23.25
    # KID = 1 + 343 - 2·23.25 = 297.5
    mean, std = kid(torch.tensor([[0.0], [1.0]]), torch.tensor([[2.0], [3.0]]))
    assert mean == pytest.approx(297.5, rel=1e-12)
    assert std == 0.0


def test_kid_hand_computed_2d_scales_by_dimension_and_can_be_negative() -> None:
    # d = 2, k(x, y) = (x·y/2 + 1)³.
    # real {(0,0), (2,2)}: k = 1 → 1;  fake {(0,0), (2,0)}: k = 1 → 1
    # cross: three pairs involve (0,0) → 1 each; (2,2)·(2,0) = 4 → (4/2 + 1)³ = 27 → 30/4 = 7.5
    # KID = 1 + 1 - 2·7.5 = -13  (unbiased: a single estimate can be negative; with γ = 1
    # instead of 1/d the cross term would be (4+1)³ = 125 and KID = -62).
    real = torch.tensor([[0.0, 0.0], [2.0, 2.0]])
    fake = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    assert kid(real, fake)[0] == pytest.approx(-13.0, rel=1e-12)


def test_kid_near_zero_for_same_distribution_positive_for_shifted() -> None:
    a, b = _randn(300, 8, seed=0), _randn(300, 8, seed=1)
    same_mean, same_std = kid(a, b, subsets=20, subset_size=100)
    shifted_mean, _ = kid(a, b + 1.0, subsets=20, subset_size=100)
    identical_mean, _ = kid(a, a, subsets=20, subset_size=100)
    assert abs(same_mean) < 3 * same_std + 0.01
    assert abs(identical_mean) < 0.1
    assert shifted_mean > 2.0


def test_kid_subset_size_is_clamped() -> None:
    a, b = _randn(6, 3, seed=0), _randn(5, 3, seed=1)
    assert kid(a, b, subset_size=1000) == kid(a, b, subset_size=5)
    with pytest.raises(ValueError, match="subset_size"):
        kid(a, b, subset_size=1)


def test_kid_deterministic_given_seed_and_leaves_global_rng_alone() -> None:
    a, b = _randn(60, 4, seed=0), _randn(60, 4, seed=1)
    first = kid(a, b, subsets=5, subset_size=20, seed=3)
    assert kid(a, b, subsets=5, subset_size=20, seed=3) == first
    assert kid(a, b, subsets=5, subset_size=20, seed=4) != first

    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    kid(a, b, subsets=5, subset_size=20, seed=3)
    assert torch.equal(torch.rand(1), expected)


# --------------------------------------------------------------------------------------------
# Inception Score


def test_inception_score_hand_computed() -> None:
    # p(y|x₁) = (0.8, 0.2), p(y|x₂) = (0.2, 0.8) → p(y) = (0.5, 0.5).
    # KL(p(y|x) ‖ p(y)) = log 2 - H(0.8, 0.2) for both, so
    # IS = exp(log 2 - H) = 2 · 0.8^0.8 · 0.2^0.2 = 2 · 0.836524 · 0.724780 = 1.212573.
    logits = torch.tensor([[0.8, 0.2], [0.2, 0.8]]).log()
    mean, std = inception_score(logits, splits=1)
    assert mean == pytest.approx(2 * 0.8**0.8 * 0.2**0.2, rel=1e-6)
    assert math.isnan(std)  # one split: no spread


def test_inception_score_confident_balanced_is_num_classes() -> None:
    # One-hot-ish predictions spread evenly over K = 10 classes: p(y) uniform, each
    # KL = log 10, IS = 10. Logits of 1e4 make softmax exactly 0 elsewhere, which the
    # log-probability floor keeps from turning into 0·∞ = NaN.
    logits = torch.zeros(1000, 10)
    logits[torch.arange(1000), torch.arange(1000) % 10] = 1e4
    assert inception_score(logits, splits=1)[0] == pytest.approx(10.0, rel=1e-9)
    # Each of 10 shuffled splits of 100 is only roughly balanced: its IS is exp(entropy of its
    # class histogram) ≤ 10, about 10·exp(-(K-1)/(2·100)) ≈ 9.6 on average.
    mean, std = inception_score(logits, splits=10)
    assert 9.0 < mean <= 10.0 + 1e-9
    assert std > 0


def test_inception_score_identical_predictions_is_one() -> None:
    logits = torch.tensor([[2.0, -1.0, 0.5]]).repeat(40, 1)
    mean, std = inception_score(logits, splits=4)
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_deterministic_given_seed_and_leaves_global_rng_alone() -> None:
    logits = _randn(50, 5, seed=0) * 3
    first = inception_score(logits, splits=5, seed=1)
    assert inception_score(logits, splits=5, seed=1) == first
    assert inception_score(logits, splits=5, seed=2) != first

    torch.manual_seed(7)
    expected = torch.rand(1)
    torch.manual_seed(7)
    inception_score(logits, splits=5, seed=1)
    assert torch.equal(torch.rand(1), expected)


def test_inception_score_needs_a_sample_per_split() -> None:
    with pytest.raises(ValueError, match="at least 10 samples"):
        inception_score(torch.zeros(9, 3), splits=10)


# --------------------------------------------------------------------------------------------
# Precision / recall, density / coverage

# 1-D sets shared by the hand-computed tests (all values exact in binary floating point).
# Real {0, 1, 2, 3, 4}, k = 2: distances from 0 are 1,2,3,4 → radius 2; from 1: 1,1,2,3 → 1;
# from 2: 1,1,2,2 → 1; from 3 → 1; from 4 → 2.  Radii (2, 1, 1, 1, 2).
# Fake {0.5, 4.5, 8}, k = 2: from 0.5: 4, 7.5 → 7.5; from 4.5: 4, 3.5 → 4; from 8: 7.5, 3.5 → 7.5.
REAL_1D = torch.tensor([[0.0], [1.0], [2.0], [3.0], [4.0]])
FAKE_1D = torch.tensor([[0.5], [4.5], [8.0]])


def test_precision_recall_hand_computed_1d() -> None:
    # Precision: 0.5 is 0.5 < 2 from real 0 ✓; 4.5 is 0.5 < 2 from real 4 ✓; 8 is 4 from its
    # nearest real (4), whose radius is 2 ✗ → 2/3.
    # Recall: the fake ball (0.5, 7.5) spans (-7, 8) and holds every real → 5/5 = 1 (one
    # outlying fake inflates the fake support: the weakness density/coverage address).
    precision, recall = precision_recall(REAL_1D, FAKE_1D, k=2)
    assert precision == pytest.approx(2 / 3)
    assert recall == 1.0


def test_density_coverage_hand_computed_1d() -> None:
    # Real balls (centre, radius): (0,2) (1,1) (2,1) (3,1) (4,2).
    # 0.5 lies in (0,2) [0.5] and (1,1) [0.5] → 2 balls; 4.5 in (4,2) [0.5] only (3 is 1.5
    # away, radius 1) → 1; 8 in none → density = (2 + 1 + 0) / (k·M) = 3 / (2·3) = 0.5.
    # Coverage: balls of 0, 1 (hold 0.5) and 4 (holds 4.5); 2 and 3 are 1.5 from the nearest
    # fake with radius 1 → 3/5.
    density, coverage = density_coverage(REAL_1D, FAKE_1D, k=2)
    assert density == pytest.approx(0.5)
    assert coverage == pytest.approx(0.6)


def test_nearest_neighbour_metrics_hand_computed_2d() -> None:
    # Unit-square corners, k = 1: every corner's nearest other corner is 1 away → radius 1.
    # Fake (0.5, 0.5) is √0.5 ≈ 0.707 < 1 from all four corners; (3, 3) is ≥ 2·√2 away.
    # Precision 1/2; density (4 + 0)/(1·2) = 2; coverage 4/4 = 1.
    # Fake radii (k=1, two fakes): the distance between them, 2.5·√2 ≈ 3.54, so the ball
    # around (0.5, 0.5) holds every corner (≤ √0.5 away) → recall 1.
    real = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    fake = torch.tensor([[0.5, 0.5], [3.0, 3.0]])
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    assert density_coverage(real, fake, k=1) == (2.0, 1.0)


def test_balls_are_open() -> None:
    # Real {0, 1, 2}, k = 1: radii 1. Fake 3 is exactly 1 from real 2: on the boundary, outside.
    real, fake = torch.tensor([[0.0], [1.0], [2.0]]), torch.tensor([[3.0], [2.5]])
    assert precision_recall(real, fake, k=1)[0] == 0.5  # 2.5 is inside, 3 is not
    assert density_coverage(real, fake, k=1) == (0.5, 1 / 3)  # 2.5 in ball of 2 only


def test_identical_sets_score_one() -> None:
    x = _randn(200, 8, seed=0)
    assert precision_recall(x, x) == (1.0, 1.0)
    # Open balls hold their centre and k - 1 other reals: density exactly 1.
    density, coverage = density_coverage(x, x)
    assert density == pytest.approx(1.0)
    assert coverage == 1.0


def test_far_away_fakes_score_zero() -> None:
    real = _randn(200, 8, seed=0)
    fake = _randn(150, 8, seed=1) + 100.0
    assert precision_recall(real, fake) == (0.0, 0.0)
    assert density_coverage(real, fake) == (0.0, 0.0)


def test_fakes_collapsed_onto_one_real_point() -> None:
    real = _randn(200, 8, seed=0)
    fake = real[:1].repeat(50, 1)
    precision, recall = precision_recall(real, fake)
    _, coverage = density_coverage(real, fake)
    assert precision == 1.0  # every fake sits on a real sample
    assert recall <= 1 / 200  # the fake balls have radius 0 (at most the point itself)
    assert coverage < 0.05  # only the few real balls that hold that one point


def _reference_nn_metrics(
    real: torch.Tensor, fake: torch.Tensor, k: int
) -> tuple[float, float, float, float]:
    """Precision, recall, density, coverage by brute force over Python lists."""
    r, f = real.tolist(), fake.tolist()

    def radius(points: list[list[float]], i: int) -> float:
        others = sorted(math.dist(points[i], q) for j, q in enumerate(points) if j != i)
        return others[k - 1]

    r_rad = [radius(r, i) for i in range(len(r))]
    f_rad = [radius(f, j) for j in range(len(f))]
    inside = [[math.dist(f[j], r[i]) < r_rad[i] for i in range(len(r))] for j in range(len(f))]
    precision = sum(any(row) for row in inside) / len(f)
    recall = sum(
        any(math.dist(r[i], f[j]) < f_rad[j] for j in range(len(f))) for i in range(len(r))
    ) / len(r)
    density = sum(sum(row) for row in inside) / (k * len(f))
    coverage = sum(any(inside[j][i] for j in range(len(f))) for i in range(len(r))) / len(r)
    return precision, recall, density, coverage


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 1000])
def test_chunked_distances_match_brute_force(chunk_size: int) -> None:
    real, fake = _randn(37, 3, seed=0), _randn(23, 3, seed=1) * 1.3 + 0.4
    precision, recall, density, coverage = _reference_nn_metrics(real, fake, k=3)
    assert precision_recall(real, fake, k=3, chunk_size=chunk_size) == pytest.approx(
        (precision, recall)
    )
    assert density_coverage(real, fake, k=3, chunk_size=chunk_size) == pytest.approx(
        (density, coverage)
    )
    # summarize's shared pass, with a different k for each pair (its radii from one top-k)
    _, _, density_k5, coverage_k5 = _reference_nn_metrics(real, fake, k=5)
    assert ball_metrics(real, fake, 3, 5, chunk_size) == pytest.approx(
        (precision, recall, density_k5, coverage_k5)
    )


@pytest.mark.parametrize("chunk_size", [1, 5, 64])
def test_kth_neighbour_distance_matches_full_matrix(chunk_size: int) -> None:
    x = _randn(40, 5, seed=3).double()
    full = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")
    full.fill_diagonal_(math.inf)
    expected = full.sort(dim=1).values[:, 2]  # 3rd nearest other point
    assert torch.allclose(_kth_neighbour_distance(x, 3, chunk_size), expected, atol=1e-12)


def test_nearest_neighbour_metrics_need_more_than_k_samples() -> None:
    with pytest.raises(ValueError, match="more than 3"):
        precision_recall(_randn(10, 2, seed=0), _randn(3, 2, seed=1), k=3)
    with pytest.raises(ValueError, match="more than 5"):
        density_coverage(_randn(5, 2, seed=0), _randn(30, 2, seed=1), k=5)


# --------------------------------------------------------------------------------------------
# Class statistics


def test_class_histogram_counts_argmax() -> None:
    logits = torch.tensor([[0.0, 0.0, 5.0, 0.0], [9.0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 0, 0]])
    assert class_histogram(logits, 4).tolist() == [1, 1, 2, 0]
    with pytest.raises(ValueError, match="N×5"):
        class_histogram(logits, 5)


def test_classes_covered_threshold() -> None:
    # 1/100 = 1 %: exactly at the default threshold counts (inclusive).
    assert classes_covered(torch.tensor([50, 30, 19, 1])) == 4
    # 9/10000 and 1/10000 are below 1 %: one class covered, though three were seen.
    hist = torch.tensor([9990, 9, 1, 0])
    assert classes_covered(hist) == 1
    assert classes_covered(hist, min_fraction=0.0) == 3  # seen at least once
    assert classes_covered(torch.zeros(4, dtype=torch.int64)) == 0


def test_class_kl_from_uniform() -> None:
    assert class_kl_from_uniform(torch.tensor([5, 5, 5, 5])) == pytest.approx(0.0, abs=1e-15)
    # All in one class: 1·log(1·4) + 3·(0·log 0 = 0) = log 4.
    assert class_kl_from_uniform(torch.tensor([10, 0, 0, 0])) == pytest.approx(math.log(4))
    # p = (3/4, 1/4), K = 2: 0.75·ln 1.5 + 0.25·ln 0.5 = 0.304099 - 0.173287 = 0.130812.
    assert class_kl_from_uniform(torch.tensor([3, 1])) == pytest.approx(0.130812, abs=1e-6)
    with pytest.raises(ValueError, match="at least one sample"):
        class_kl_from_uniform(torch.zeros(3))


def test_conditional_accuracy_overall_and_per_class() -> None:
    # predicted: 0 1 1 2 2 0;  requested: 0 1 2 2 2 1  → correct ✓ ✓ ✗ ✓ ✓ ✗ = 4/6.
    # class 0: 1/1; class 1: samples 2 ✓ and 6 ✗ → 1/2; class 2: 1/3 ✗, 2/3 ✓ → 2/3;
    # class 3 never requested → NaN.
    logits = torch.nn.functional.one_hot(torch.tensor([0, 1, 1, 2, 2, 0]), 4).float()
    overall, per_class = conditional_accuracy(logits, torch.tensor([0, 1, 2, 2, 2, 1]), 4)
    assert overall == pytest.approx(4 / 6)
    assert per_class[:3] == pytest.approx([1.0, 0.5, 2 / 3])
    assert math.isnan(per_class[3])
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        conditional_accuracy(logits, torch.tensor([0, 1, 2, 2, 2, 4]), 4)


def test_per_class_fid() -> None:
    # Class 0: the 1-D Gaussians of the FID test → 18. Class 1: identical sets → 0.
    # Class 2: a single fake → NaN. d = 1, so the default minimum is d + 1 = 2 per side.
    real = torch.cat([1 + 2 * Z3, Z3, Z3])
    fake = torch.cat([4 + 5 * Z3, Z3, Z3[:1]])
    real_labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
    fake_labels = torch.tensor([0, 0, 0, 1, 1, 1, 2])
    values = per_class_fid(real, real_labels, fake, fake_labels, 3)
    assert values[:2] == pytest.approx([18.0, 0.0], abs=1e-9)
    assert math.isnan(values[2])
    # A minimum of 4 per side rules every class out here.
    assert all(math.isnan(v) for v in per_class_fid(real, real_labels, fake, fake_labels, 3, 4))


# --------------------------------------------------------------------------------------------
# summarize


def _summary_inputs() -> dict[str, torch.Tensor]:
    real_labels = torch.arange(60) % 3
    fake_labels = torch.arange(45) % 3
    return {
        "real_features": _randn(60, 2, seed=0) + real_labels[:, None],
        "real_logits": torch.nn.functional.one_hot(real_labels, 3).float() * 4,
        "real_labels": real_labels,
        "fake_features": _randn(45, 2, seed=1) + fake_labels[:, None],
        # Class 2 is never predicted for fakes (its logits favour class 1).
        "fake_logits": torch.nn.functional.one_hot(fake_labels.clamp(max=1), 3).float() * 4,
    }


def test_summarize_conditional_is_json_and_matches_the_parts() -> None:
    inputs = _summary_inputs()
    fake_labels = torch.arange(45) % 3
    summary = summarize(**inputs, fake_labels=fake_labels, num_classes=3, kid_subsets=5)
    json.dumps(summary, allow_nan=False)
    assert summary["n_real"] == 60 and summary["n_fake"] == 45
    assert summary["kid_subset_size"] == 45
    assert summary["fid"] == pytest.approx(fid(inputs["real_features"], inputs["fake_features"]))
    assert summary["class_histogram"] == [15, 30, 0]
    assert summary["classes_covered"] == 2
    assert summary["real_class_accuracy"] == 1.0
    assert summary["class_accuracy"] == pytest.approx(2 / 3)
    assert summary["class_accuracy_per_class"] == [1.0, 1.0, 0.0]
    assert len(summary["per_class_fid"]) == 3
    # One shared k-NN pass (summarize's) gives exactly what the two functions give alone.
    real, fake = inputs["real_features"], inputs["fake_features"]
    assert (summary["precision"], summary["recall"]) == precision_recall(real, fake)
    assert (summary["density"], summary["coverage"]) == density_coverage(real, fake)
    expected_keys = {
        "precision", "recall", "density", "coverage", "kid_mean", "kid_std", "class_kl",
        "inception_score_mean", "inception_score_std",
    }  # fmt: skip
    assert expected_keys <= summary.keys()


def test_summarize_unconditional_omits_class_keys_and_nan_becomes_none() -> None:
    inputs = _summary_inputs()
    summary = summarize(**inputs, fake_labels=None, num_classes=3, kid_subsets=5)
    json.dumps(summary, allow_nan=False)
    assert "class_accuracy" not in summary and "per_class_fid" not in summary
    # Only two requested classes out of four → NaN accuracy for the others → None.
    labels = torch.tensor([0, 1] * 22 + [0])
    logits = torch.cat([inputs["fake_logits"], torch.zeros(45, 1)], dim=1)
    real_logits = torch.cat([inputs["real_logits"], torch.zeros(60, 1)], dim=1)
    inputs.update(fake_logits=logits, real_logits=real_logits)
    summary = summarize(**inputs, fake_labels=labels, num_classes=4, kid_subsets=5)
    json.dumps(summary, allow_nan=False)
    assert summary["class_accuracy_per_class"][2:] == [None, None]
    assert summary["per_class_fid"][2:] == [None, None]
