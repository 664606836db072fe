"""Adversarial losses against values computed by hand (ln, exp to 6 decimals)."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.losses import (
    bce_discriminator_loss,
    bce_generator_loss,
    classification_loss,
    noisy_soft_targets,
    pair_softmax_discriminator_loss,
    pair_softmax_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)

LN2 = math.log(2.0)


def t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def test_discriminator_loss_at_zero_logits_is_two_log_two() -> None:
    # σ(0) = 1/2, so each BCE term is -ln(1/2) = ln 2 and the sum is 2 ln 2.
    loss = bce_discriminator_loss(torch.zeros(5, 1), torch.zeros(5, 1))
    assert loss.item() == pytest.approx(2 * LN2, abs=1e-6)


def test_discriminator_loss_specific_logits() -> None:
    # Real, target 1: BCE = softplus(-ℓ).  ℓ=2 → ln(1+e^-2) = 0.126928
    #                                      ℓ=-1 → ln(1+e)   = 1.313262   mean 0.720095
    # Fake, target 0: BCE = softplus(ℓ).   ℓ=0 → ln 2       = 0.693147
    #                                      ℓ=3 → ln(1+e^3)  = 3.048587   mean 1.870867
    loss = bce_discriminator_loss(t(2.0, -1.0), t(0.0, 3.0))
    assert loss.item() == pytest.approx(0.720095 + 1.870867, abs=1e-6)


def test_one_sided_smoothing_at_its_optimum_is_binary_entropy() -> None:
    # ℓ = ln 9 gives σ = 0.9. Target 0.9: -(0.9 ln 0.9 + 0.1 ln 0.1) = 0.094825 + 0.230259
    # = 0.325083; the fake term at ℓ = -inf-ish (-50) is ~0.
    real, fake = t(math.log(9.0)), t(-50.0)
    smoothed = bce_discriminator_loss(real, fake, real_target=0.9)
    assert smoothed.item() == pytest.approx(0.325083, abs=1e-6)
    # Unsmoothed: -ln 0.9 = 0.105361.
    assert bce_discriminator_loss(real, fake).item() == pytest.approx(0.105361, abs=1e-6)


def test_two_sided_smoothing() -> None:
    # ℓ = ±ln 7 gives σ = 0.875 / 0.125, matching the targets, so each term is the binary
    # entropy H(0.875) = 0.875·0.133531 + 0.125·2.079442 = 0.376770.
    loss = bce_discriminator_loss(
        t(math.log(7.0)), t(-math.log(7.0)), real_target=0.875, fake_target=0.125
    )
    assert loss.item() == pytest.approx(2 * 0.376770, abs=1e-6)


def test_discriminator_loss_is_finite_for_extreme_logits() -> None:
    # A fake logit of 200 with target 0 costs softplus(200) = 200; sigmoid-then-log would
    # give ln(1 - 1.0) = -inf in float32.
    loss = bce_discriminator_loss(torch.tensor([200.0]), torch.tensor([200.0]))
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(200.0, rel=1e-6)


@pytest.mark.parametrize("kwargs", [{"real_target": 1.1}, {"fake_target": -0.1}])
def test_discriminator_loss_rejects_targets_outside_unit_interval(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="target"):
        bce_discriminator_loss(torch.zeros(2), torch.zeros(2), **kwargs)


def test_generator_loss_values() -> None:
    assert bce_generator_loss(torch.zeros(3)).item() == pytest.approx(LN2, abs=1e-6)
    # ℓ = 2, target 1: ln(1 + e^-2) = 0.126928.
    assert bce_generator_loss(t(2.0)).item() == pytest.approx(0.126928, abs=1e-6)
    # Target 0.9 at ℓ = ln 9 is the binary entropy 0.325083 (see above).
    assert bce_generator_loss(t(math.log(9.0)), target=0.9).item() == pytest.approx(
        0.325083, abs=1e-6
    )


def test_generator_loss_is_non_saturating() -> None:
    # When D rejects the fakes confidently (ℓ = -100) the loss is ~100 and its gradient
    # d/dℓ softplus(-ℓ) = -(1 - σ(ℓ)) ≈ -1 per sample (÷ batch size 2) does not vanish.
    logits = torch.full((2,), -100.0, requires_grad=True)
    loss = bce_generator_loss(logits)
    loss.backward()
    assert loss.item() == pytest.approx(100.0, rel=1e-6)
    assert logits.grad is not None
    torch.testing.assert_close(logits.grad, torch.full((2,), -0.5))


def test_wasserstein_losses_values_and_signs() -> None:
    real = t(1.0, 2.0, 3.0)  # mean 2
    fake = t(-1.0, 0.5)  # mean -0.25
    assert wasserstein_critic_loss(real, fake).item() == pytest.approx(-2.25)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(0.25)


def test_wasserstein_critic_gradient_raises_real_and_lowers_fake() -> None:
    real = torch.zeros(4, 1, requires_grad=True)
    fake = torch.zeros(2, 1, requires_grad=True)
    wasserstein_critic_loss(real, fake).backward()
    # Gradient descent on the loss moves real scores up (-grad > 0) and fake scores down.
    assert real.grad is not None and fake.grad is not None
    torch.testing.assert_close(real.grad, torch.full((4, 1), -0.25))
    torch.testing.assert_close(fake.grad, torch.full((2, 1), 0.5))


def test_classification_loss_hand_value() -> None:
    # -log softmax([1, 2, 3])_2 = ln(e + e² + e³) - 3 = ln(30.192875) - 3 = 0.407606.
    loss = classification_loss(t(1.0, 2.0, 3.0).unsqueeze(0), torch.tensor([2]))
    assert loss.item() == pytest.approx(0.407606, abs=1e-6)


def test_classification_loss_equals_negative_log_softmax_at_label() -> None:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 10, generator=gen)
    labels = torch.randint(0, 10, (16,), generator=gen)
    expected = -torch.log_softmax(logits, dim=1)[torch.arange(16), labels].mean()
    torch.testing.assert_close(classification_loss(logits, labels), expected)


def test_softmax_before_cross_entropy_is_the_documented_bug() -> None:
    # A confident, correct classifier: on logits the loss is ~0 (ln(2 + e^10) - 10 ≈ 9.1e-5);
    # squashing through softmax first leaves ~ln(2 + e) - 1 = 0.551 however confident it is.
    logits = torch.tensor([[0.0, 0.0, 10.0]])
    labels = torch.tensor([2])
    assert classification_loss(logits, labels).item() == pytest.approx(9.08e-5, rel=1e-2)
    buggy = F.cross_entropy(torch.softmax(logits, dim=1), labels)
    assert buggy.item() == pytest.approx(0.5514, abs=1e-3)


# -- the 2-way softmax head of the Keras 1 DCGANs -----------------------------------------------


def test_soft_target_cross_entropy_by_hand() -> None:
    from ganforge.losses.adversarial import soft_target_cross_entropy

    # logits [0, ln 3]: softmax [1/4, 3/4]; targets [0.2, 1.1] (not normalised, as Keras)
    logits = torch.tensor([[0.0, math.log(3.0)]])
    targets = torch.tensor([[0.2, 1.1]])
    expected = -(0.2 * math.log(0.25) + 1.1 * math.log(0.75))
    assert soft_target_cross_entropy(logits, targets).item() == pytest.approx(expected, rel=1e-6)


def test_pair_losses_with_hard_targets_equal_bce_on_the_logit_difference() -> None:
    torch.manual_seed(0)
    real, fake = torch.randn(5, 2), torch.randn(5, 2)
    hard_real, hard_fake = torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])
    pair = pair_softmax_discriminator_loss(real, fake, hard_real, hard_fake)
    diff = bce_discriminator_loss(real[:, 1] - real[:, 0], fake[:, 1] - fake[:, 0])
    assert pair.item() == pytest.approx(diff.item(), rel=1e-6)
    g = pair_softmax_generator_loss(fake)
    assert g.item() == pytest.approx(bce_generator_loss(fake[:, 1] - fake[:, 0]).item(), rel=1e-6)


def test_pair_generator_loss_by_hand() -> None:
    # softmax [1/4, 3/4] → −log 3/4
    logits = torch.tensor([[0.0, math.log(3.0)]])
    assert pair_softmax_generator_loss(logits).item() == pytest.approx(-math.log(0.75), rel=1e-6)


@pytest.mark.parametrize("real", [True, False])
def test_noisy_soft_targets_ranges(real: bool) -> None:
    t = noisy_soft_targets(2000, real, generator=torch.Generator().manual_seed(0))
    low, high = (t[:, 0], t[:, 1]) if real else (t[:, 1], t[:, 0])
    assert t.shape == (2000, 2)
    assert low.min() >= 0.0 and low.max() <= 0.3 and low.max() > 0.29
    assert high.min() >= 0.7 and high.max() <= 1.2 and high.min() < 0.71
    assert len(set(high.tolist())) > 1990  # a draw per image (float32 may repeat a few)


def test_noisy_soft_targets_one_draw_per_batch_is_the_classic_bug() -> None:
    t = noisy_soft_targets(6, True, per_sample=False, generator=torch.Generator().manual_seed(0))
    assert t.shape == (6, 2)
    assert torch.equal(t, t[:1].expand(6, 2))
