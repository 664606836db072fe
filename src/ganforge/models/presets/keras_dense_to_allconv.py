"""Family C: from dense to all-convolutional (Keras; latent 64, data in [-1, 1]).

The common loop: an epoch is 128 iterations, each drawing 128 real images at random with
replacement (``sampling: replacement``) and 128 fakes; D's targets are 0.9 for real (one-sided
smoothing) and 0 for fake; D trains with Adam 2e-4, β1 0.5, and G through D frozen with
Keras' default Adam (1e-3, β1 0.9). 50 epochs, and a 10×10 grid at the end. The source does
not say whether D sees real and fake in one batch; Keras loops usually concatenate them, which
``joint_batch`` assumes (each preset says so in ``assumed``).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.layers import Reshape
from ganforge.models.objectives import BCEConfig, BCERecipe
from ganforge.models.presets.keras import (
    KERAS_ADAM_EPS,
    KERAS_LEAKY_SLOPE,
    batch_norm,
    conv_same,
    conv_transpose_same,
    keras_initialised,
)
from ganforge.models.registry import register, schedule

SOURCE = "Keras family C: from dense to all-convolutional (128 random batches an epoch)"
LOOP = schedule(
    batch_size=128, epochs=50, sampling="replacement", epoch_steps=128, grid_layout="10x10"
)
JOINT = "D sees real and fake as one concatenated batch (joint_batch), as Keras loops do"


@dataclass
class KerasDenseToAllConvConfig(BCEConfig):
    """The shared loop's settings (see the module docstring)."""

    latent_dim: int = 64
    lr_d: float = 2e-4
    lr_g: float = 1e-3
    beta1: float = 0.5
    beta1_g: float | None = 0.9
    eps: float | None = KERAS_ADAM_EPS
    real_label: float = 0.9
    joint_batch: bool = True


class KerasDenseToAllConvRecipe(BCERecipe):
    """The family's dense G and convolutional D, shared by its three presets."""

    config_cls = KerasDenseToAllConvConfig
    source = SOURCE
    counts_batch_norm_as = "4c"
    train_defaults = LOOP

    def build_generator(self) -> nn.Module:
        """Dense 256 → 512 → 1024 → 784 tanh, LReLU 0.2."""
        g = nn.Sequential(
            nn.Linear(self.cfg.latent_dim, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2),
            nn.Linear(1024, 784), nn.Tanh(), Reshape(1, 28, 28),
        )  # fmt: skip
        return keras_initialised(g)

    def build_discriminator(self) -> nn.Module:
        """Conv64 k5s2 → Conv128 k5s2 → Conv64 k5s2, LReLU 0.2, then only the dense output."""
        d = nn.Sequential(
            conv_same(1, 64, 5, 2), nn.LeakyReLU(0.2),
            conv_same(64, 128, 5, 2), nn.LeakyReLU(0.2),
            conv_same(128, 64, 5, 2), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(64 * 4 * 4, self.adversarial_outputs),
        )  # fmt: skip
        return keras_initialised(d)


@register
class GanDense(KerasDenseToAllConvRecipe):
    name = "gan-dense"
    family = "gan"
    preset_of = "gan"
    summary = "the dense 'main' model of the dense → all-conv comparison (Keras)"
    assumed = f"{JOINT}; D's exact size (the source: ≈ 1,460,225)"
    published_counts = (1_477_136, 1_460_225)

    def build_discriminator(self) -> nn.Module:
        d = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(512, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, self.adversarial_outputs),
        )  # fmt: skip
        return keras_initialised(d)


@register
class ConvD(KerasDenseToAllConvRecipe):
    name = "conv-d"
    family = "allconv"
    preset_of = "allconv"
    summary = "dense G, convolutional D with no dense layer but its output (Keras)"
    assumed = JOINT
    published_counts = (1_477_136, 412_481)


@register
class AllConvClassic(KerasDenseToAllConvRecipe):
    name = "allconv-classic"
    family = "allconv"
    preset_of = "allconv"
    summary = "the classic all-convolutional GAN: G from an 8×8 noise image, k5 convs (Keras)"
    assumed = JOINT
    published_counts = (412_544, 412_481)

    def build_generator(self) -> nn.Module:
        """8×8×1 noise → Conv64 k2 valid (7×7) → BN → LReLU → ConvT128 k5s1 → BN → LReLU →
        ConvT64 k5s2 → BN → LReLU → ConvT1 k5s2 → tanh; LReLU at Keras' default α 0.3."""
        a = KERAS_LEAKY_SLOPE
        g = nn.Sequential(
            Reshape(1, 8, 8),
            nn.Conv2d(1, 64, 2), batch_norm(64), nn.LeakyReLU(a),
            conv_transpose_same(64, 128, 5, 1, bias=False), batch_norm(128), nn.LeakyReLU(a),
            conv_transpose_same(128, 64, 5, 2, bias=False), batch_norm(64), nn.LeakyReLU(a),
            conv_transpose_same(64, 1, 5, 2, bias=False), nn.Tanh(),
        )  # fmt: skip
        return keras_initialised(g)
