"""``gan``: the vanilla GAN (Goodfellow et al. 2014) with dense G and D."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.base import register
from ganforge.models.nets import mlp_discriminator, mlp_generator
from ganforge.models.objectives import BCEConfig, BCERecipe


@dataclass
class GANConfig(BCEConfig):
    """Dense GAN. Defaults: latent 64, G 256-512-1024 with batch norm, D 512-256 with dropout.

    Batch norm in G's hidden layers is what keeps this small MLP from collapsing onto a few
    digits early on; dropout in D keeps D from winning outright on a 10k-image training set.
    """

    latent_dim: int = 64
    g_hidden: tuple[int, ...] = (256, 512, 1024)
    d_hidden: tuple[int, ...] = (512, 256)
    g_batch_norm: bool = True
    dropout: float = 0.3
    leaky_slope: float = 0.2
    minibatch_std: bool = False


@register
class GAN(BCERecipe):
    name = "gan"
    family = "gan"
    summary = "vanilla GAN: dense G and D, non-saturating BCE loss"
    config_cls = GANConfig
    cfg: GANConfig

    def build_generator(self) -> nn.Module:
        c = self.cfg
        return mlp_generator(
            c.latent_dim, c.g_hidden, c.data_range, "lrelu", c.leaky_slope, c.g_batch_norm
        )

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        return mlp_discriminator(
            c.d_hidden, c.dropout, "lrelu", c.leaky_slope, c.input_noise, c.minibatch_std
        )
