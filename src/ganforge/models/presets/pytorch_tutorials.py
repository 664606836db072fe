"""Family B: the PyTorch tutorial models (latent 100 N(0,1), data in [-1, 1], batch 100).

D's loss is BCE(D(x), 1) + BCE(D(G(z)), 0), two forwards; G trains with the non-saturating
loss on fresh noise. PyTorch counts batch norm as 2c, as ganforge does.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.layers import Reshape
from ganforge.models.objectives import BCEConfig, BCERecipe
from ganforge.models.registry import register, schedule
from ganforge.models.weights import dcgan_init

SOURCE = "PyTorch tutorial family B (batch 100, Adam)"


@dataclass
class GanMlpConfig(BCEConfig):
    """Dense G 256-512-1024 and D 1024-512-256 (dropout 0.3), LReLU 0.2, Adam 2e-4 with
    β = (0.9, 0.999), PyTorch's default initialisation."""

    beta1: float = 0.9
    dropout: float = 0.3


@register
class GanMlp(BCERecipe):
    name = "gan-mlp"
    family = "gan"
    preset_of = "gan"
    source = SOURCE
    summary = "the PyTorch tutorial's dense GAN (LReLU 0.2, dropout in D, Adam β1 0.9)"
    config_cls = GanMlpConfig
    cfg: GanMlpConfig
    published_counts = (1_486_352, 1_460_225)
    train_defaults = schedule(batch_size=100, epochs=200)

    def build_generator(self) -> nn.Module:
        return nn.Sequential(
            nn.Linear(self.cfg.latent_dim, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2),
            nn.Linear(1024, 784), nn.Tanh(),
            Reshape(1, 28, 28),
        )  # fmt: skip

    def build_discriminator(self) -> nn.Module:
        p = self.cfg.dropout
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 1024), nn.LeakyReLU(0.2), nn.Dropout(p),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(p),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(p),
            nn.Linear(256, self.adversarial_outputs),
        )  # fmt: skip


@dataclass
class Dcgan64Config(BCEConfig):
    """The tutorial's 64×64 DCGAN on MNIST resized to 64: Adam 2e-4, β = (0.5, 0.999),
    weights N(0, 0.02), LeakyReLU 0.2 in every D layer (the PyTorch tutorial's slope; the
    source's table writes the later ones as a bare "LReLU")."""

    resolution: int = 64


@register
class Dcgan64(BCERecipe):
    name = "dcgan-64"
    family = "dcgan"
    preset_of = "dcgan"
    source = SOURCE
    summary = "the PyTorch tutorial's 64×64 DCGAN (ConvT k4s2p1, 1024 channels at 4×4)"
    config_cls = Dcgan64Config
    resolutions = (64,)
    published_counts = (12_668_672, 11_032_065)
    train_defaults = schedule(batch_size=100, epochs=200)

    def build_generator(self) -> nn.Module:
        def up(c_in: int, c_out: int) -> list[nn.Module]:
            return [
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]

        g = nn.Sequential(
            nn.Linear(self.cfg.latent_dim, 1024 * 4 * 4),
            Reshape(1024, 4, 4),
            *up(1024, 512), *up(512, 256), *up(256, 128),
            nn.ConvTranspose2d(128, 1, 4, 2, 1, bias=False), nn.Tanh(),
        )  # fmt: skip
        g.apply(dcgan_init)
        return g

    def build_discriminator(self) -> nn.Module:
        def down(c_in: int, c_out: int) -> list[nn.Module]:
            return [
                nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.LeakyReLU(0.2, inplace=True),
            ]

        d = nn.Sequential(
            nn.Conv2d(1, 128, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            *down(128, 256), *down(256, 512), *down(512, 1024),
            nn.Flatten(), nn.Linear(1024 * 4 * 4, self.adversarial_outputs),
        )  # fmt: skip
        d.apply(dcgan_init)
        return d
