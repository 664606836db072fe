"""Network builders: MLP and DCGAN-style G and D at 28×28, layer by layer."""

import pytest
import torch
from torch import nn

from ganforge.models.layers import GaussianNoise
from ganforge.models.nets import (
    dcgan_generator,
    dcgan_trunk,
    mlp_discriminator,
    mlp_generator,
)


def count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def of_type(m: nn.Module, cls: type) -> list[nn.Module]:
    return [x for x in m.modules() if isinstance(x, cls)]


@pytest.mark.parametrize(("data_range", "lo", "hi"), [("-1,1", -1.0, 1.0), ("0,1", 0.0, 1.0)])
def test_mlp_generator_shape_and_range(data_range: str, lo: float, hi: float) -> None:
    g = mlp_generator(8, (16, 32), data_range)
    out = g(torch.randn(5, 8) * 50)
    assert out.shape == (5, 1, 28, 28)
    assert lo <= out.min().item() and out.max().item() <= hi
    assert out.min().item() < lo + 0.5 and out.max().item() > hi - 0.5


def test_mlp_generator_batch_norm_drops_bias() -> None:
    g = mlp_generator(8, (16, 32), "-1,1", batch_norm=True)
    linears = of_type(g, nn.Linear)
    assert [lin.bias is None for lin in linears] == [True, True, False]
    assert len(of_type(g, nn.BatchNorm1d)) == 2
    # 8·16 + 2·16 + 16·32 + 2·32 + 32·784 + 784
    assert count(g) == 128 + 32 + 512 + 64 + 25_088 + 784
    plain = mlp_generator(8, (16, 32), "-1,1", batch_norm=False)
    assert not of_type(plain, nn.BatchNorm1d)
    assert count(plain) == (8 * 16 + 16) + (16 * 32 + 32) + (32 * 784 + 784)


def test_mlp_discriminator_layers() -> None:
    d = mlp_discriminator((16, 8), dropout=0.25, input_noise=0.1)
    assert d(torch.randn(3, 1, 28, 28)).shape == (3, 1)
    drops = of_type(d, nn.Dropout)
    assert [x.p for x in drops] == [0.25, 0.25]
    assert [x.sigma for x in of_type(d, GaussianNoise)] == [0.1]
    assert count(d) == (784 * 16 + 16) + (16 * 8 + 8) + (8 + 1)
    assert not of_type(mlp_discriminator((16,), dropout=0.0), nn.Dropout)


@pytest.mark.parametrize("batch_norm", [True, False])
def test_dcgan_generator(batch_norm: bool) -> None:
    g = dcgan_generator(10, 4, "-1,1", batch_norm=batch_norm)
    assert g(torch.randn(2, 10)).shape == (2, 1, 28, 28)
    bns = of_type(g, nn.BatchNorm2d)
    assert [b.num_features for b in bns] == ([8, 4] if batch_norm else [])
    linear, *_ = of_type(g, nn.Linear)
    convs = of_type(g, nn.ConvTranspose2d)
    assert (linear.in_features, linear.out_features) == (10, 8 * 7 * 7)
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (8, 4, (4, 4), (2, 2)),
        (4, 1, (4, 4), (2, 2)),
    ]
    # biases only where no batch norm follows; the output conv always has one
    assert [m.bias is not None for m in (linear, *convs)] == [not batch_norm] * 2 + [True]


def test_dcgan_generator_activation_choice() -> None:
    g = dcgan_generator(10, 4, "0,1", act="lrelu", slope=0.1)
    assert [m.negative_slope for m in of_type(g, nn.LeakyReLU)] == [0.1, 0.1]
    assert not of_type(g, nn.ReLU)
    assert isinstance(list(g)[-1], nn.Sigmoid)


@pytest.mark.parametrize("batch_norm", [True, False])
def test_dcgan_trunk(batch_norm: bool) -> None:
    body, features = dcgan_trunk(4, batch_norm=batch_norm, dropout=0.2, input_noise=0.05)
    assert features == 8 * 7 * 7
    assert body(torch.randn(3, 1, 28, 28)).shape == (3, features)
    layers = list(body)
    assert isinstance(layers[0], GaussianNoise) and layers[0].sigma == 0.05
    assert isinstance(layers[1], nn.Conv2d)  # first conv: no batch norm right after it
    assert not isinstance(layers[2], nn.BatchNorm2d)
    assert [b.num_features for b in of_type(body, nn.BatchNorm2d)] == ([8] if batch_norm else [])
    convs = of_type(body, nn.Conv2d)
    assert [c.bias is not None for c in convs] == [True, not batch_norm]
    assert [d.p for d in of_type(body, nn.Dropout)] == [0.2, 0.2]
    no_drop, _ = dcgan_trunk(4, dropout=0.0)
    assert not of_type(no_drop, nn.Dropout)


@pytest.mark.parametrize(
    "net",
    [
        mlp_generator(8, (16,), "-1,1", batch_norm=True),
        dcgan_generator(10, 4, "-1,1"),
        dcgan_trunk(4)[0],
    ],
)
def test_batch_norm_eps_is_default(net: nn.Module) -> None:
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert norms
    assert all(m.eps == 1e-5 and m.momentum == 0.1 for m in norms)
