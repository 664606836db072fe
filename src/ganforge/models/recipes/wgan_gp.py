"""``wgan-gp``: Wasserstein loss with a gradient penalty (Gulrajani et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.base import dcgan_init, register
from ganforge.models.nets import dcgan_generator, dcgan_trunk
from ganforge.models.objectives import WassersteinConfig, WassersteinRecipe


@dataclass
class WGANGPConfig(WassersteinConfig):
    """DCGAN-shaped G and critic; the critic has no batch norm (the penalty is per sample, and
    batch norm would couple the samples). Adam β = (0.5, 0.9) as in the paper; 2 critic steps
    per G step rather than the paper's 5, because on a fixed image budget every critic step
    costs a real batch and 5 leaves G too few updates.
    """

    latent_dim: int = 100
    g_channels: int = 64
    d_channels: int = 64
    beta2: float = 0.9
    d_steps: int = 2


@register
class WGANGP(WassersteinRecipe):
    name = "wgan-gp"
    family = "wgan-gp"
    summary = "WGAN-GP: Wasserstein critic without batch norm, per-sample gradient penalty"
    config_cls = WGANGPConfig
    cfg: WGANGPConfig

    def build_generator(self) -> nn.Module:
        c = self.cfg
        g = dcgan_generator(c.latent_dim, c.g_channels, c.data_range)
        g.apply(dcgan_init)
        return g

    def build_discriminator(self) -> nn.Module:
        trunk, features = dcgan_trunk(self.cfg.d_channels, batch_norm=False)
        d = nn.Sequential(trunk, nn.Linear(features, 1))
        d.apply(dcgan_init)
        return d
