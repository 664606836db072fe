"""Keras' defaults as the presets port them: initialisation, batch norm, "same" padding."""

import pytest
import torch
from torch import nn

from ganforge.models.presets.keras import (
    batch_norm,
    conv_same,
    conv_transpose_same,
    keras_init,
)


def test_batch_norm_has_keras_eps_and_momentum() -> None:
    bn = batch_norm(8)
    assert isinstance(bn, nn.BatchNorm2d)
    assert bn.eps == 1e-3 and bn.momentum == pytest.approx(0.01)  # Keras momentum 0.99
    assert isinstance(batch_norm(8, dims=1), nn.BatchNorm1d)


@pytest.mark.parametrize(("size", "stride"), [(28, 2), (7, 2), (8, 1), (32, 1)])
def test_same_padding_sizes(size: int, stride: int) -> None:
    x = torch.zeros(1, 3, size, size)
    assert conv_same(3, 4, 5, stride)(x).shape[-1] == -(-size // stride)
    assert conv_same(3, 4, 3, stride)(x).shape[-1] == -(-size // stride)
    assert conv_transpose_same(3, 4, 5, stride)(x).shape[-1] == size * stride


def test_glorot_uniform_bounds_and_zero_bias() -> None:
    torch.manual_seed(0)
    layer = nn.Linear(300, 200)
    keras_init(layer)
    limit = (6 / (300 + 200)) ** 0.5
    assert layer.weight.abs().max() <= limit
    assert layer.weight.abs().max() > 0.9 * limit  # uniform over the whole range
    assert torch.all(layer.bias == 0)
    emb = nn.Embedding(10, 64)
    keras_init(emb)
    assert emb.weight.abs().max() <= 0.05


def test_same_padding_puts_the_odd_pixel_after_as_tensorflow_does() -> None:
    torch.manual_seed(0)
    conv = conv_same(1, 1, 5, 2)
    x = torch.randn(1, 1, 28, 28)
    # TF "SAME", stride 2, kernel 5, size 28: 3 pixels of padding, 1 before and 2 after
    reference = torch.nn.functional.conv2d(
        torch.nn.functional.pad(x, (1, 2, 1, 2)), conv.weight, conv.bias, stride=2
    )
    assert torch.allclose(conv(x), reference)
    # size 7: 4 pixels, symmetric, as PyTorch's padding=2
    y = torch.randn(1, 1, 7, 7)
    assert torch.allclose(
        conv(y), torch.nn.functional.conv2d(y, conv.weight, conv.bias, stride=2, padding=2)
    )


@pytest.mark.parametrize(("size", "stride"), [(14, 2), (7, 2), (7, 1)])
def test_same_transposed_conv_is_the_adjoint_of_the_same_conv(size: int, stride: int) -> None:
    """TF's conv2d_transpose is the gradient of its conv2d: ⟨conv(x), y⟩ = ⟨x, convT(y)⟩."""
    torch.manual_seed(0)
    conv = conv_same(2, 3, 5, stride, bias=False)
    up = conv_transpose_same(3, 2, 5, stride, bias=False)
    up.weight.data.copy_(conv.weight.data)
    x = torch.randn(1, 2, size * stride, size * stride, dtype=torch.float64)
    y = torch.randn(1, 3, size, size, dtype=torch.float64)
    conv.double()
    up.double()
    assert torch.allclose((conv(x) * y).sum(), (x * up(y)).sum())
