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
