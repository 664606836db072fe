"""``gan``: the vanilla GAN (Goodfellow et al. 2014) with dense G and D."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.layers import check_minibatch_std
from ganforge.models.nets import mlp_discriminator, mlp_generator
from ganforge.models.objectives import BCEConfig, BCERecipe
from ganforge.models.registry import register, schedule


@dataclass
class GANConfig(BCEConfig):
    """Dense GAN: G 256-512-1024 with batch norm and D 512-256 with dropout 0.3, LeakyReLU 0.2,
    BCE with the non-saturating G loss. Defaults: latent 64; batch 16, Adam with β1 0, G at
    4e-4 and D at 8e-4, 2 D updates on each real batch; samples from an EMA of G's weights
    (0.999).

    Batch norm in G's hidden layers is what keeps this small MLP from collapsing onto a few
    digits early on; dropout in D keeps D from winning outright on a 10k-image training set.
    The EMA removes much of the dense G's speckle, and the two D updates, both on the step's
    one real batch with fresh fakes each (``d_steps_same_batch``), make D stronger while G keeps
    its updates: what brought it under the σ = 1 blur line and the class-KL target.

    Tuning history: docs/tuning.md#gan
    """

    latent_dim: int = 64
    beta1: float = 0.0  # Adam without momentum, as StyleGAN2 and BigGAN train (docs/tuning.md)
    lr_g: float = 4e-4
    lr_d: float = 8e-4
    d_steps: int = 2
    d_steps_same_batch: bool = True  # both D updates on the step's real batch: G keeps its steps
    g_hidden: tuple[int, ...] = (256, 512, 1024)
    d_hidden: tuple[int, ...] = (512, 256)
    g_batch_norm: bool = True
    dropout: float = 0.3
    leaky_slope: float = 0.2
    ema_decay: float = 0.999
    minibatch_std: bool = False  # append the batch's feature spread before D's output

    def validate(self) -> None:
        super().validate()
        check_minibatch_std(self, self.minibatch_std)


@register
class GAN(BCERecipe):
    name = "gan"
    family = "gan"
    summary = "vanilla GAN: dense G and D, non-saturating BCE loss"
    config_cls = GANConfig
    cfg: GANConfig
    train_defaults = schedule(batch_size=16)

    def build_generator(self) -> nn.Module:
        c = self.cfg
        return mlp_generator(
            c.latent_dim, c.g_hidden, c.data_range, "lrelu", c.leaky_slope, c.g_batch_norm
        )

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        return mlp_discriminator(
            c.d_hidden,
            c.dropout,
            "lrelu",
            c.leaky_slope,
            c.input_noise,
            c.minibatch_std,
            self.adversarial_outputs,
        )
