"""``dcgan`` and ``improved-dcgan``: transposed convs up, strided convs down (Radford et al.)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.nets import dcgan_generator, dcgan_trunk
from ganforge.models.objectives import BCEConfig, BCERecipe
from ganforge.models.registry import register, schedule
from ganforge.models.weights import dcgan_init


@dataclass
class DCGANConfig(BCEConfig):
    """DCGAN at 28×28: G a dense layer to 7×7, then ConvT k4s2 up twice (ReLU, batch norm); D
    two strided convs k4s2 down (LeakyReLU 0.2, batch norm on the second) to one logit; BCE
    with the non-saturating G loss. Every trick of the improved variant is a switch here.

    ``g_channels``/``d_channels`` set the width of the 14×14 layer (the 7×7 layer is twice as
    wide). ``batch_norm`` applies to G and to D's inner layer; ``dropout`` follows each of D's
    convolutions; ``input_noise`` (from BCEConfig) is instance noise on D's input.

    Defaults: latent 100; batch 32 and learning rate 8e-4 for G and D (Radford et al.: 128 and
    2e-4), as on a fixed budget of 5 epochs of the 10k MNIST subset more and larger G steps are
    what the sample quality needs; samples from an EMA of G's weights (0.999, with batch-norm
    statistics of its own); and the R1 penalty (Mescheder et al. 2018; ``r1_weight`` γ = 1),
    γ/2 · E‖∇ₓD(x)‖² added to D's loss: D can no longer carve a steep wall around each real
    digit, so G's gradients lead it to the digits it neglects.

    Tuning history: docs/tuning.md#dcgan
    """

    latent_dim: int = 100
    lr_g: float = 8e-4
    lr_d: float = 8e-4
    g_channels: int = 64
    d_channels: int = 64
    batch_norm: bool = True
    dropout: float = 0.0
    leaky_slope: float = 0.2
    ema_decay: float = 0.999
    g_activation: str = "relu"
    r1_weight: float = 1.0  # runs saved before the field trained without it (BCEConfig)


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
        d = nn.Sequential(trunk, nn.Linear(features, self.adversarial_outputs))
        d.apply(dcgan_init)
        return d


@register
class DCGAN(DCGANBase):
    name = "dcgan"
    family = "dcgan"
    summary = "DCGAN: ConvT k4s2 up, strided conv down, batch norm, Adam β1 0.5, R1 on D"
    train_defaults = schedule(batch_size=32)


@dataclass
class ImprovedDCGANConfig(DCGANConfig):
    """The improved DCGAN's tricks, all on: data in [-1,1] with tanh, LeakyReLU in G and D,
    dropout 0.1 in D, annealed Gaussian noise (σ 0.05 → 0) on D's input, one-sided label
    smoothing (real target 0.9), 2 D steps per G step, Adam β1 0.5. Turn any one off to ablate.

    Defaults: ``dcgan``'s rate 8e-4 at batch 8, as every trick slows G down and 2 D steps per G
    step halve G's updates on a fixed image budget, so this recipe wants even more, smaller
    steps; dropout 0.1 and noise 0.05 rather than the classic 0.3 and 0.1, the dropout having
    been the brake. No EMA, and ``dcgan``'s R1 penalty stays off: this recipe is the classic
    tricks, each a rung of the ablation ladder (``ganforge ablate``), and it meets the targets
    without it; turn it on with ``--set model.r1_weight=1``.

    Tuning history: docs/tuning.md#improved-dcgan
    """

    ema_decay: float = 0.0
    r1_weight: float = 0.0
    g_activation: str = "lrelu"
    dropout: float = 0.1
    input_noise: float = 0.05
    input_noise_anneal: bool = True
    real_label: float = 0.9
    d_steps: int = 2


@register
class ImprovedDCGAN(DCGANBase):
    name = "improved-dcgan"
    family = "dcgan"
    summary = "DCGAN + dropout, input noise, label smoothing, extra D steps (each switchable)"
    train_defaults = schedule(batch_size=8)
    config_cls = ImprovedDCGANConfig
