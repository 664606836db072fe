"""``dcgan`` and ``improved-dcgan``: transposed convs up, strided convs down (Radford et al.)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.base import dcgan_init, register
from ganforge.models.nets import dcgan_generator, dcgan_trunk
from ganforge.models.objectives import BCEConfig, BCERecipe


@dataclass
class DCGANConfig(BCEConfig):
    """DCGAN at 28×28. Every trick of the improved variant is a switch here.

    ``g_channels``/``d_channels`` set the width of the 14×14 layer (the 7×7 layer is twice as
    wide). ``batch_norm`` applies to G and to D's inner layer; ``dropout`` follows each of D's
    convolutions; ``input_noise`` (from BCEConfig) is instance noise on D's input.
    """

    latent_dim: int = 100
    g_channels: int = 64
    d_channels: int = 64
    batch_norm: bool = True
    dropout: float = 0.0
    leaky_slope: float = 0.2
    g_activation: str = "relu"


class DCGANBase(BCERecipe):
    """Shared builders for the DCGAN family."""

    config_cls = DCGANConfig
    cfg: DCGANConfig

    def build_generator(self) -> nn.Module:
        c = self.cfg
        g = dcgan_generator(
            c.latent_dim, c.g_channels, c.data_range, c.batch_norm, c.g_activation, c.leaky_slope
        )
        g.apply(dcgan_init)
        return g

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        trunk, features = dcgan_trunk(
            c.d_channels, c.batch_norm, c.dropout, c.leaky_slope, c.input_noise
        )
        d = nn.Sequential(trunk, nn.Linear(features, 1))
        d.apply(dcgan_init)
        return d


@register
class DCGAN(DCGANBase):
    name = "dcgan"
    family = "dcgan"
    summary = "DCGAN: ConvT k4s2 up, strided conv down, batch norm, Adam β1 0.5"


@dataclass
class ImprovedDCGANConfig(DCGANConfig):
    """The improved DCGAN's tricks, all on: data in [-1,1] with tanh, LeakyReLU in G and D,
    dropout 0.3 in D, annealed Gaussian noise (σ 0.1 → 0) on D's input, one-sided label
    smoothing (real target 0.9), 2 D steps per G step, Adam β1 0.5. Turn any one off to ablate.
    """

    g_activation: str = "lrelu"
    dropout: float = 0.3
    input_noise: float = 0.1
    input_noise_anneal: bool = True
    real_label: float = 0.9
    d_steps: int = 2


@register
class ImprovedDCGAN(DCGANBase):
    name = "improved-dcgan"
    family = "dcgan"
    summary = "DCGAN + dropout, input noise, label smoothing, extra D steps (each switchable)"
    config_cls = ImprovedDCGANConfig
