"""``allconv``: the all-convolutional GAN. G starts from the latent as an 8×8 noise image and
has no dense layer; D has none but its output. (``conv-d``, the step between the dense GAN and
this one, is the classic preset in :mod:`ganforge.models.presets.keras_dense_to_allconv`.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from ganforge.errors import ConfigError
from ganforge.models.layers import (
    GaussianNoise,
    MinibatchStd,
    Reshape,
    check_minibatch_std,
    output_activation,
)
from ganforge.models.objectives import BCEConfig, BCERecipe
from ganforge.models.registry import register, schedule
from ganforge.models.weights import dcgan_init


@dataclass
class ConvDiscriminatorConfig(BCEConfig):
    """The convolutional D both recipes share: three k5 s2 convs (64-128-64), LReLU 0.2."""

    latent_dim: int = 64
    d_channels: tuple[int, ...] = (64, 128, 64)
    leaky_slope: float = 0.2
    dropout: float = 0.0


def conv_discriminator(
    channels: tuple[int, ...],
    slope: float,
    dropout: float,
    input_noise: float = 0.0,
    outputs: int = 1,
    minibatch_std: bool = False,
) -> nn.Sequential:
    """Conv k5 s2 "same" layers (28 → 14 → 7 → 4), optionally the batch's feature spread
    (:class:`MinibatchStd`), then one dense output logit."""
    layers: list[nn.Module] = [GaussianNoise(input_noise)]
    c_in, size = 1, 28
    for c in channels:
        layers += [nn.Conv2d(c_in, c, 5, 2, 2), nn.LeakyReLU(slope, inplace=True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        c_in, size = c, (size + 1) // 2
    features = c_in * size * size
    layers.append(nn.Flatten())
    if minibatch_std:
        layers.append(MinibatchStd())
    layers.append(nn.Linear(features + int(minibatch_std), outputs))  # the spread: 1 more
    return nn.Sequential(*layers)


@dataclass
class AllConvConfig(ConvDiscriminatorConfig):
    """G from an 8×8 noise image, no dense layer: Conv k8 p3 (8→7) → ConvT k5 s1 ×2 → ConvT
    k4 s2 ×2 (``g_channels`` lists the widths: the first conv's, each 7×7 layer's, then the
    14×14 one's; ``g_first_kernel`` is the first conv's kernel). D is the shared convolutional
    D, with the batch's feature spread before its output (``minibatch_std``, Karras et al.
    2018); BCE with the non-saturating G loss.

    ``latent_dim`` must be 64 (one 8×8 image).

    Without a dense layer, what a pixel of G sees of the noise is set by the convolutions: a
    pixel of G's 7×7 map sees only 6×6 of the 8×8 noise through one ConvT k5, so there are two;
    at k2 each 7×7 feature of the first conv is a function of 2×2 noise values, at k8 the
    centre ones see all 64. Defaults: batch 32, Adam with β1 0, G at 4e-4 and D at half that
    (a D that learns slower lets G spread over the classes), and an EMA of G's weights (0.999).

    Tuning history: docs/tuning.md#allconv
    """

    lr_g: float = 4e-4
    lr_d: float = 2e-4  # D at half G's rate spreads G over the classes (docs/tuning.md)
    beta1: float = 0.0  # Adam without momentum, as for gan (docs/tuning.md)
    ema_decay: float = 0.999

    g_channels: tuple[int, ...] = (64, 128, 128, 64)
    g_first_kernel: int = 8  # the first conv's kernel (even; padding (k − 2)/2 keeps 8 → 7)
    minibatch_std: bool = True  # D sees the batch's feature spread before its output
    # Runs saved before these fields trained with a k2 first conv and no batch spread in D.
    saved_before: ClassVar[dict[str, Any]] = {"g_first_kernel": 2, "minibatch_std": False}

    def validate(self) -> None:
        super().validate()
        check_minibatch_std(self, self.minibatch_std)
        if self.latent_dim != 64:
            raise ConfigError(
                f"allconv needs model.latent_dim 64 (an 8×8 image), got {self.latent_dim}"
            )
        if self.g_first_kernel not in (2, 4, 6, 8):
            raise ConfigError(
                f"model.g_first_kernel must be 2, 4, 6 or 8 (it maps the 8×8 noise image "
                f"to 7×7), got {self.g_first_kernel}"
            )
        if len(self.g_channels) < 3:
            raise ConfigError(
                f"model.g_channels must list 3 or more widths (the 7×7 layers, then the "
                f"14×14 one), got {list(self.g_channels)}"
            )


@register
class AllConv(BCERecipe):
    name = "allconv"
    family = "allconv"
    summary = "all-convolutional: G from an 8×8 noise image, no dense layer in G"
    config_cls = AllConvConfig
    train_defaults = schedule(batch_size=32)
    cfg: AllConvConfig

    def build_generator(self) -> nn.Module:
        c = self.cfg
        first, *middle, last = c.g_channels
        k = c.g_first_kernel
        slope = c.leaky_slope
        layers: list[nn.Module] = [
            Reshape(1, 8, 8),
            nn.Conv2d(1, first, k, 1, (k - 2) // 2, bias=False),  # 8×8 → 7×7
            nn.BatchNorm2d(first),
            nn.LeakyReLU(slope, inplace=True),
        ]
        c_in = first
        for width in middle:  # 7×7, each layer widening the receptive field by 4
            layers += [
                nn.ConvTranspose2d(c_in, width, 5, 1, 2, bias=False),
                nn.BatchNorm2d(width),
                nn.LeakyReLU(slope, inplace=True),
            ]
            c_in = width
        layers += [
            nn.ConvTranspose2d(c_in, last, 4, 2, 1, bias=False),  # 14×14
            nn.BatchNorm2d(last),
            nn.LeakyReLU(slope, inplace=True),
            nn.ConvTranspose2d(last, 1, 4, 2, 1),  # 28×28
            output_activation(c.data_range),
        ]
        g = nn.Sequential(*layers)
        g.apply(dcgan_init)
        return g

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        return conv_discriminator(
            c.d_channels,
            c.leaky_slope,
            c.dropout,
            c.input_noise,
            self.adversarial_outputs,
            c.minibatch_std,
        )
