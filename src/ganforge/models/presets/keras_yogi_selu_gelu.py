"""Family A's two presets with networks of their own, both on data in [0, 1] with a sigmoid
output: ``gan-selu``, a dense SELU GAN, and ``dcgan-gelu``, a GELU DCGAN with batch norm after
each activation. The shared loop is :mod:`.keras_yogi_loop`'s.

``dcgan-gelu``'s D wins from the first steps and its grids are black at step 150; its Keras
source, rerun as described (``benchmarks/dcgan_gelu_source_check.py``), does the same: the
grids are drawn with G's batch norm on moving statistics that still lag. Both recover by
step 600. docs/recipes.md has the run; the divergence guard's warning says so
(``d_wins_note``).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.layers import GaussianNoise, Reshape
from ganforge.models.presets.keras import (
    batch_norm,
    conv_same,
    conv_transpose_same,
    keras_initialised,
)
from ganforge.models.presets.keras_yogi_loop import KerasYogiConfig, KerasYogiRecipe
from ganforge.models.registry import register, schedule


# -- gan-selu ---------------------------------------------------------------------------------
@dataclass
class GanSeluConfig(KerasYogiConfig):
    """Dense SELU G (64-128-784, sigmoid) and D (128-64-1) on data in [0, 1]."""

    data_range: str = "0,1"


@register
class GanSelu(KerasYogiRecipe):
    name = "gan-selu"
    family = "gan"
    preset_of = "gan"
    summary = "dense SELU GAN (Keras, Yogi), data in [0,1]"
    config_cls = GanSeluConfig
    published_counts = (117_712, 108_801)
    train_defaults = schedule(batch_size=32, epochs=50)

    def build_generator(self) -> nn.Module:
        z = self.cfg.latent_dim
        return keras_initialised(
            nn.Sequential(
                nn.Linear(z, 64), nn.SELU(),
                nn.Linear(64, 128), nn.SELU(),
                nn.Linear(128, 784), nn.Sigmoid(),
                Reshape(1, 28, 28),
            )
        )  # fmt: skip

    def build_discriminator(self) -> nn.Module:
        return keras_initialised(
            nn.Sequential(
                nn.Flatten(),
                nn.Linear(784, 128), nn.SELU(),
                nn.Linear(128, 64), nn.SELU(),
                nn.Linear(64, self.adversarial_outputs),
            )
        )  # fmt: skip


# -- dcgan-gelu -------------------------------------------------------------------------------
# Measured (docs/recipes.md, "dcgan-gelu's black grids"): the Keras original, run as its
# source describes it, wins the same way; its early grids are black for the same reason.
D_WINS_NOTE = (
    "dcgan-gelu's Keras source does the same: rerun as described (tf.keras, TF Addons' Yogi), "
    "its D also reaches D(x) 1.000, D(G(z)) 0.000 by step 20 and its grid at step 150 is "
    "black too (G's batch norm draws on moving statistics that still lag); both recover by "
    "step 600 (docs/recipes.md, dcgan-gelu's black grids)"
)


@dataclass
class DcganGeluConfig(KerasYogiConfig):
    """GELU DCGAN with batch norm after each activation, dropout 0.4 in D, data in [0, 1]."""

    data_range: str = "0,1"
    dropout: float = 0.4


@register
class DcganGelu(KerasYogiRecipe):
    name = "dcgan-gelu"
    family = "dcgan"
    preset_of = "dcgan"
    summary = "GELU DCGAN, k5s2 convs, batch norm after the activation (Keras, Yogi)"
    config_cls = DcganGeluConfig
    cfg: DcganGeluConfig
    published_counts = (1_040_897, 213_633)
    train_defaults = schedule(batch_size=32, epochs=50)
    d_wins_note = D_WINS_NOTE

    def build_generator(self) -> nn.Module:
        z = self.cfg.latent_dim
        return keras_initialised(
            nn.Sequential(
                nn.Linear(z, 7 * 7 * 128), nn.GELU(), batch_norm(7 * 7 * 128, dims=1),
                Reshape(128, 7, 7),
                conv_transpose_same(128, 64, 5, 2), nn.GELU(), batch_norm(64),
                conv_transpose_same(64, 1, 5, 2), nn.Sigmoid(),
            )
        )  # fmt: skip

    def build_discriminator(self) -> nn.Module:
        p = self.cfg.dropout
        return keras_initialised(
            nn.Sequential(
                GaussianNoise(self.cfg.input_noise),
                conv_same(1, 64, 5, 2), nn.GELU(), batch_norm(64), nn.Dropout(p),
                conv_same(64, 128, 5, 2), nn.GELU(), batch_norm(128), nn.Dropout(p),
                nn.Flatten(), nn.Linear(7 * 7 * 128, self.adversarial_outputs),
            )
        )  # fmt: skip
