"""The improved DCGAN's networks of family A (a dense stem, a transposed-conv upsampling
stack, a noisy strided-conv trunk), and the three presets built on them:
``improved-dcgan-classic`` (BCE), ``wgan-gp-classic`` (Wasserstein with a gradient penalty) and
``acgan-classic`` (auxiliary classifier). The TensorFlow DCGAN tutorial's preset reuses the
stem and the stack. The shared loop is :mod:`.keras_yogi_loop`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from ganforge.models.layers import GaussianNoise, Reshape
from ganforge.models.objectives import (
    AuxClassifierConfig,
    AuxClassifierRecipe,
    WassersteinConfig,
    WassersteinRecipe,
)
from ganforge.models.presets.keras import (
    KERAS_LEAKY_SLOPE,
    batch_norm,
    conv_same,
    conv_transpose_same,
    keras_initialised,
)
from ganforge.models.presets.keras_yogi_loop import (
    SOURCE,
    KerasYogiConfig,
    KerasYogiLoop,
    KerasYogiRecipe,
)
from ganforge.models.recipes.acgan import TwoHeadDiscriminator
from ganforge.models.registry import register, schedule


# -- the improved DCGAN's networks, shared by improved-dcgan-classic, wgan-gp-classic, acgan ---
def upsampling_stack(
    c_in: int, dropout: float, slope: float, final_bias: bool = True
) -> nn.Sequential:
    """c_in×7×7 → ConvT128 k5s1 → BN → LReLU → Drop → ConvT64 k5s2 → BN → LReLU → Drop →
    ConvT1 k5s2 → tanh (only the last transposed conv may have a bias)."""
    return nn.Sequential(
        conv_transpose_same(c_in, 128, 5, 1, bias=False), batch_norm(128),
        nn.LeakyReLU(slope), nn.Dropout(dropout),
        conv_transpose_same(128, 64, 5, 2, bias=False), batch_norm(64),
        nn.LeakyReLU(slope), nn.Dropout(dropout),
        conv_transpose_same(64, 1, 5, 2, bias=final_bias), nn.Tanh(),
    )  # fmt: skip


def dense_stem(latent_dim: int, slope: float) -> nn.Sequential:
    """z → Dense 7·7·256 (no bias) → BN → LReLU → 256×7×7."""
    return nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * 256, bias=False), batch_norm(7 * 7 * 256, dims=1),
        nn.LeakyReLU(slope), Reshape(256, 7, 7),
    )  # fmt: skip


def noisy_conv_trunk(noise: float, dropout: float, slope: float) -> nn.Sequential:
    """GaussianNoise → Conv64 k5s2 → BN → LReLU → Drop → Conv128 k5s2 → BN → LReLU → Drop →
    flat 6272 features (convs without bias: batch norm's shift replaces it)."""
    return nn.Sequential(
        GaussianNoise(noise),
        conv_same(1, 64, 5, 2, bias=False), batch_norm(64), nn.LeakyReLU(slope),
        nn.Dropout(dropout),
        conv_same(64, 128, 5, 2, bias=False), batch_norm(128), nn.LeakyReLU(slope),
        nn.Dropout(dropout),
        nn.Flatten(),
    )  # fmt: skip


@dataclass
class ImprovedClassicConfig(KerasYogiConfig):
    """The classic improved DCGAN: dropout 0.3 in G and D, Gaussian noise σ 0.2 on D's
    input, label smoothing 0.25 (targets 0.875 / 0.125), 3 D steps per G step, Yogi 1e-3.

    The source's README claims Adam β1 = 0.5; its code runs Yogi with the default β1 0.9,
    which this preset follows. Every trick is a switch, for ``ganforge ablate``.
    """

    dropout: float = 0.3
    input_noise: float = 0.2
    real_label: float = 0.875
    fake_label: float = 0.125
    d_steps: int = 3
    leaky_slope: float = KERAS_LEAKY_SLOPE


@register
class ImprovedDcganClassic(KerasYogiRecipe):
    name = "improved-dcgan-classic"
    family = "dcgan"
    preset_of = "improved-dcgan"
    summary = "the classic improved DCGAN (Keras, Yogi): every trick of the recipe, as published"
    config_cls = ImprovedClassicConfig
    cfg: ImprovedClassicConfig
    published_counts = (2_682_177, 213_441)
    train_defaults = schedule(batch_size=32, epochs=100)

    def build_generator(self) -> nn.Module:
        c = self.cfg
        stem = dense_stem(c.latent_dim, c.leaky_slope)
        return keras_initialised(
            nn.Sequential(stem, upsampling_stack(256, c.dropout, c.leaky_slope))
        )

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        trunk = noisy_conv_trunk(c.input_noise, c.dropout, c.leaky_slope)
        return keras_initialised(
            nn.Sequential(trunk, nn.Linear(7 * 7 * 128, self.adversarial_outputs))
        )


# -- wgan-gp-classic --------------------------------------------------------------------------
@dataclass
class WganGpClassicConfig(KerasYogiLoop, WassersteinConfig):
    """The classic WGAN-GP: improved-DCGAN networks with a linear critic output (batch norm
    and all, although batch norm couples the samples a per-sample penalty treats as
    independent), 3 critic steps, Yogi 2.5e-4 with β1 0.5, λ 10.

    ``classic_quirks: true`` draws the penalty's mixing weight from N(0, 1), as the classic
    code does: a bug (the interpolates leave the segment between real and fake). Off, it is
    U(0, 1) per sample, as in Gulrajani et al.
    """

    quirks: ClassVar[tuple[str, ...]] = ("gp_mix_normal",)
    lr_g: float = 2.5e-4
    lr_d: float = 2.5e-4
    beta1: float = 0.5
    d_steps: int = 3
    dropout: float = 0.3
    input_noise: float = 0.2
    leaky_slope: float = KERAS_LEAKY_SLOPE


@register
class WganGpClassic(WassersteinRecipe):
    name = "wgan-gp-classic"
    family = "wgan-gp"
    preset_of = "wgan-gp"
    source = SOURCE
    summary = "the classic WGAN-GP (Keras, Yogi): batch norm in the critic, 3 critic steps"
    config_cls = WganGpClassicConfig
    cfg: WganGpClassicConfig
    counts_batch_norm_as = "4c"
    published_counts = (2_682_177, 213_441)
    train_defaults = schedule(batch_size=64, epochs=100)

    def build_generator(self) -> nn.Module:
        c = self.cfg
        g = nn.Sequential(
            dense_stem(c.latent_dim, c.leaky_slope), upsampling_stack(256, c.dropout, c.leaky_slope)
        )
        return keras_initialised(g)

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        d = nn.Sequential(
            noisy_conv_trunk(c.input_noise, c.dropout, c.leaky_slope), nn.Linear(7 * 7 * 128, 1)
        )
        return keras_initialised(d)


# -- acgan-classic ----------------------------------------------------------------------------
@dataclass
class AcganClassicConfig(KerasYogiLoop, AuxClassifierConfig):
    """The classic AC-GAN: label smoothing 0.25, class cross-entropy on real and fake images
    at equal weight, dropout 0.4, 3 D steps, Yogi 2.5e-4 with β1 0.5."""

    lr_g: float = 2.5e-4
    lr_d: float = 2.5e-4
    beta1: float = 0.5
    d_steps: int = 3
    dropout: float = 0.4
    input_noise: float = 0.2
    real_label: float = 0.875
    fake_label: float = 0.125
    leaky_slope: float = KERAS_LEAKY_SLOPE


class LabelChannelGenerator(nn.Module):
    """G(z, y): z → 256×7×7; y → Embedding(10, 64) → Dense 49 → BN → LReLU → 1×7×7; the two
    concatenated as 257 channels, then the upsampling stack."""

    def __init__(self, cfg: AcganClassicConfig, num_classes: int) -> None:
        super().__init__()
        slope = cfg.leaky_slope
        self.noise_stem = dense_stem(cfg.latent_dim, slope)
        self.label_stem = nn.Sequential(
            nn.Embedding(num_classes, 64), nn.Linear(64, 49, bias=False),
            batch_norm(49, dims=1), nn.LeakyReLU(slope), Reshape(1, 7, 7),
        )  # fmt: skip
        self.body = upsampling_stack(257, cfg.dropout, slope)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        return self.body(torch.cat([self.noise_stem(z), self.label_stem(labels)], dim=1))


@register
class AcganClassic(AuxClassifierRecipe):
    name = "acgan-classic"
    family = "acgan"
    preset_of = "acgan"
    source = SOURCE
    summary = "the classic AC-GAN (Keras, Yogi): the class as a 7×7 channel, 3 D steps"
    config_cls = AcganClassicConfig
    cfg: AcganClassicConfig
    counts_batch_norm_as = "4c"
    published_counts = (2_689_349, 276_171)
    train_defaults = schedule(batch_size=32, epochs=100)

    def build_generator(self) -> nn.Module:
        g = LabelChannelGenerator(self.cfg, self.num_classes)
        return keras_initialised(g)

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        trunk = noisy_conv_trunk(c.input_noise, c.dropout, c.leaky_slope)
        d = TwoHeadDiscriminator(trunk, 7 * 7 * 128, self.num_classes)
        return keras_initialised(d)
