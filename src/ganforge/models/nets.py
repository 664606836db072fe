"""Network builders shared by the default recipes: MLPs and DCGAN-style conv stacks at 28×28."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from ganforge.models.layers import (
    GaussianNoise,
    MinibatchStd,
    Reshape,
    activation,
    output_activation,
)


def mlp_generator(
    latent_dim: int,
    hidden: Sequence[int],
    data_range: str,
    act: str = "lrelu",
    slope: float = 0.2,
    batch_norm: bool = False,
) -> nn.Sequential:
    """Dense G: z → hidden layers → 784 → tanh/sigmoid → 1×28×28."""
    layers: list[nn.Module] = []
    width = latent_dim
    for h in hidden:
        layers.append(nn.Linear(width, h, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(activation(act, slope))
        width = h
    layers += [nn.Linear(width, 28 * 28), output_activation(data_range), Reshape(1, 28, 28)]
    return nn.Sequential(*layers)


def mlp_discriminator(
    hidden: Sequence[int],
    dropout: float = 0.3,
    act: str = "lrelu",
    slope: float = 0.2,
    input_noise: float = 0.0,
    minibatch_std: bool = False,
    outputs: int = 1,
) -> nn.Sequential:
    """Dense D: 1×28×28 → hidden layers (with dropout) → [batch spread] → one logit."""
    layers: list[nn.Module] = [GaussianNoise(input_noise), nn.Flatten()]
    width = 28 * 28
    for h in hidden:
        layers += [nn.Linear(width, h), activation(act, slope)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    if minibatch_std:
        layers.append(MinibatchStd())
        width += 1
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)


def dcgan_generator(
    in_features: int,
    channels: int,
    data_range: str,
    batch_norm: bool = True,
    act: str = "relu",
    slope: float = 0.2,
) -> nn.Sequential:
    """DCGAN G at 28×28: dense → 2c×7×7 → ConvT k4s2 → c×14×14 → ConvT k4s2 → 1×28×28.

    k4 s2 p1 transposed convolutions double the size exactly, with no output padding and less
    checkerboard than k5 s2.
    """
    c2 = 2 * channels

    def norm(c: int) -> list[nn.Module]:
        return [nn.BatchNorm2d(c)] if batch_norm else []

    return nn.Sequential(
        nn.Linear(in_features, c2 * 7 * 7, bias=not batch_norm),
        Reshape(c2, 7, 7),
        *norm(c2),
        activation(act, slope),
        nn.ConvTranspose2d(c2, channels, 4, 2, 1, bias=not batch_norm),
        *norm(channels),
        activation(act, slope),
        nn.ConvTranspose2d(channels, 1, 4, 2, 1),
        output_activation(data_range),
    )


def dcgan_trunk(
    channels: int,
    batch_norm: bool = True,
    dropout: float = 0.0,
    slope: float = 0.2,
    input_noise: float = 0.0,
) -> tuple[nn.Sequential, int]:
    """DCGAN D body at 28×28: Conv k4s2 → c×14×14 → Conv k4s2 → 2c×7×7 → flattened features.

    No batch norm on the first layer (Radford et al.). Returns the body and its feature size.
    """
    c2 = 2 * channels

    def drop() -> list[nn.Module]:
        return [nn.Dropout(dropout)] if dropout > 0 else []

    body = nn.Sequential(
        GaussianNoise(input_noise),
        nn.Conv2d(1, channels, 4, 2, 1),
        nn.LeakyReLU(slope, inplace=True),
        *drop(),
        nn.Conv2d(channels, c2, 4, 2, 1, bias=not batch_norm),
        *([nn.BatchNorm2d(c2)] if batch_norm else []),
        nn.LeakyReLU(slope, inplace=True),
        *drop(),
        nn.Flatten(),
    )
    return body, c2 * 7 * 7
