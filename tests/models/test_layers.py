"""Layers: GaussianNoise (train-only instance noise), MinibatchStd, ClassBatchNorm2d, Reshape,
activations."""

import pytest
import torch
from torch import nn

from ganforge.models.layers import (
    ClassBatchNorm2d,
    GaussianNoise,
    MinibatchStd,
    Reshape,
    activation,
    output_activation,
)


def test_gaussian_noise_acts_in_train_mode_only() -> None:
    torch.manual_seed(0)
    noise = GaussianNoise(0.1)
    x = torch.zeros(64, 1, 28, 28)
    noisy = noise.train()(x)
    assert noisy.shape == x.shape
    assert noisy.std().item() == pytest.approx(0.1, rel=0.05)
    assert abs(noisy.mean().item()) < 0.005
    assert torch.equal(noise.eval()(x), x)


def test_gaussian_noise_zero_sigma_is_identity_in_train_mode() -> None:
    x = torch.randn(4, 1, 5, 5)
    assert torch.equal(GaussianNoise(0.0).train()(x), x)


def test_gaussian_noise_sigma_is_live_attribute() -> None:
    torch.manual_seed(0)
    noise = GaussianNoise(0.1).train()
    noise.sigma = 0.5
    assert noise(torch.zeros(10_000)).std().item() == pytest.approx(0.5, rel=0.05)
    assert "sigma=0.5" in repr(noise)


def test_gaussian_noise_passes_gradient() -> None:
    x = torch.randn(3, 4, requires_grad=True)
    GaussianNoise(0.3).train()(x).sum().backward()
    assert torch.equal(x.grad, torch.ones(3, 4))


def test_reshape() -> None:
    r = Reshape(2, 3, 4)
    x = torch.arange(5 * 24.0).view(5, 24)
    y = r(x)
    assert y.shape == (5, 2, 3, 4)
    assert torch.equal(y.flatten(1), x)
    assert "2×3×4" in repr(r)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("relu", nn.ReLU),
        ("lrelu", nn.LeakyReLU),
        ("selu", nn.SELU),
        ("gelu", nn.GELU),
        ("tanh", nn.Tanh),
        ("sigmoid", nn.Sigmoid),
        ("identity", nn.Identity),
    ],
)
def test_activation_by_name(name: str, cls: type) -> None:
    assert type(activation(name)) is cls


def test_leaky_relu_slope() -> None:
    act = activation("lrelu", slope=0.3)
    assert act.negative_slope == 0.3
    assert act(torch.tensor([-2.0, 2.0])).tolist() == pytest.approx([-0.6, 2.0])
    assert activation("lrelu").negative_slope == 0.2


def test_unknown_activation() -> None:
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        activation("swish")


def test_output_activation() -> None:
    assert isinstance(output_activation("-1,1"), nn.Tanh)
    assert isinstance(output_activation("0,1"), nn.Sigmoid)
    x = torch.tensor([-100.0, 0.0, 100.0])
    assert output_activation("-1,1")(x).tolist() == [-1.0, 0.0, 1.0]
    assert output_activation("0,1")(x).tolist() == [0.0, 0.5, 1.0]


def test_minibatch_std_appends_the_mean_spread_by_hand() -> None:
    x = torch.tensor([[0.0, 1.0], [2.0, 5.0]])
    out = MinibatchStd()(x)
    # per-feature population std: feature 0 → 1, feature 1 → 2; mean 1.5, on every row
    assert torch.equal(out, torch.tensor([[0.0, 1.0, 1.5], [2.0, 5.0, 1.5]]))


def test_minibatch_std_of_identical_rows_is_zero_and_of_one_row_defined() -> None:
    same = torch.ones(4, 3)
    assert torch.equal(MinibatchStd()(same)[:, -1], torch.zeros(4))
    assert MinibatchStd()(torch.ones(1, 3)).tolist() == [[1.0, 1.0, 1.0, 0.0]]


def test_minibatch_std_passes_gradient_through_the_spread() -> None:
    x = torch.tensor([[0.0], [2.0]], requires_grad=True)
    MinibatchStd()(x)[:, -1].sum().backward()
    # the column sums to 2·std = |x₁ − x₀|, whose gradient is −1 for x₀ and +1 for x₁
    assert torch.allclose(x.grad, torch.tensor([[-1.0], [1.0]]))


def test_class_batch_norm_starts_as_plain_batch_norm() -> None:
    torch.manual_seed(0)
    x, e = torch.randn(6, 3, 4, 4) * 2 + 1, torch.randn(6, 5)
    norm = ClassBatchNorm2d(3, 5)
    plain = nn.BatchNorm2d(3, affine=False)
    assert torch.allclose(norm(x, e), plain(x), atol=1e-6)
    assert torch.allclose(norm.norm.running_mean, plain.running_mean)


def test_class_batch_norm_scales_and_shifts_by_the_embedding_by_hand() -> None:
    norm = ClassBatchNorm2d(2, 1).eval()  # running mean 0, variance 1, and ε 0: BN(x) = x
    norm.norm.eps = 0.0
    with torch.no_grad():
        norm.gain.weight.copy_(torch.tensor([[1.0], [0.0]]))  # γ = 1 + e, 1
        norm.shift.weight.copy_(torch.tensor([[0.0], [2.0]]))  # β = 0, 2e
    x = torch.ones(2, 2, 1, 1)
    e = torch.tensor([[1.0], [3.0]])
    # e = 1: (1·2 + 0, 1·1 + 2); e = 3: (1·4 + 0, 1·1 + 6)
    assert torch.allclose(norm(x, e).flatten(1), torch.tensor([[2.0, 3.0], [4.0, 7.0]]))


def test_class_batch_norm_learns_its_projections() -> None:
    norm = ClassBatchNorm2d(3, 4)
    norm(torch.randn(5, 3, 2, 2), torch.randn(5, 4)).pow(2).sum().backward()
    assert norm.gain.weight.grad.abs().sum() > 0
    assert norm.shift.weight.grad.abs().sum() > 0


def test_every_activation_name_the_config_accepts_builds() -> None:
    from ganforge.config import ACTIVATIONS
    from ganforge.models.layers import activation

    for name in ACTIVATIONS:
        assert isinstance(activation(name), torch.nn.Module)
