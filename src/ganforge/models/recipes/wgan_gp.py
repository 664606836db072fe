"""``wgan-gp``: Wasserstein loss with a gradient penalty (Gulrajani et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.nets import dcgan_generator, dcgan_trunk
from ganforge.models.objectives import WassersteinConfig, WassersteinRecipe
from ganforge.models.registry import register, schedule
from ganforge.models.weights import dcgan_init


@dataclass
class WGANGPConfig(WassersteinConfig):
    """DCGAN-shaped G and critic; the critic has no batch norm (the penalty is per sample, and
    batch norm would couple the samples). Adam β = (0.5, 0.9) as in the paper; 3 critic steps
    per G step, all on the G step's one real batch (fresh fakes each), rather than the paper's
    5 on 5 batches: on a fixed image budget a batch per critic step leaves G too few updates.

    Defaults: latent 100, learning rate 4e-4 for G and the critic, and batch 8 (the recipe's
    ``train_defaults``), as on 5 epochs of the 10k MNIST subset more, smaller G steps scored
    better; no EMA of G (it did not help).

    Tuning history: docs/tuning.md#wgan-gp
    """

    latent_dim: int = 100
    lr_g: float = 4e-4
    lr_d: float = 4e-4
    g_channels: int = 64
    d_channels: int = 64
    beta2: float = 0.9
    d_steps: int = 3
    d_steps_same_batch: bool = True


@register
class WGANGP(WassersteinRecipe):
    name = "wgan-gp"
    family = "wgan-gp"
    summary = "WGAN-GP: Wasserstein critic without batch norm, per-sample gradient penalty"
    config_cls = WGANGPConfig
    cfg: WGANGPConfig
    train_defaults = schedule(batch_size=8)

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
