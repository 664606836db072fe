"""Family D: a DCGAN tutorial whose code the source leaves out; its architecture is assumed to
be the common TensorFlow DCGAN tutorial's, which its parameter counts match."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.objectives import BCEConfig, BCERecipe
from ganforge.models.presets.keras import (
    KERAS_ADAM_EPS,
    KERAS_LEAKY_SLOPE,
    conv_same,
    keras_initialised,
)
from ganforge.models.presets.keras_yogi_shared_nets import dense_stem, upsampling_stack
from ganforge.models.registry import register, schedule


@dataclass
class DcganTfConfig(BCEConfig):
    """BCE on logits (real and fake terms summed), Adam 1e-4 for both with Keras' defaults
    (β1 0.9, ε 1e-7), dropout 0.3 in D, LReLU at Keras' α 0.3."""

    lr_g: float = 1e-4
    lr_d: float = 1e-4
    beta1: float = 0.9
    eps: float | None = KERAS_ADAM_EPS
    dropout: float = 0.3


@register
class DcganTf(BCERecipe):
    name = "dcgan-tf"
    family = "dcgan"
    preset_of = "dcgan"
    source = "DCGAN tutorial family D (grids at epochs 5, 25, 50, 75, 100)"
    assumed = "the architecture: the TensorFlow DCGAN tutorial's"
    summary = "the TensorFlow tutorial's DCGAN: ConvT k5, no bias, batch 256, Adam 1e-4"
    config_cls = DcganTfConfig
    cfg: DcganTfConfig
    counts_batch_norm_as = "4c"
    published_counts = (2_330_944, 212_865)
    # grids every 15 epochs and at the epochs the tutorial shows
    train_defaults = schedule(
        batch_size=256, epochs=100, sample_every=15, sample_at=(5, 25, 50, 75, 100)
    )

    def build_generator(self) -> nn.Module:
        a = KERAS_LEAKY_SLOPE  # no dropout in G, no bias anywhere
        g = nn.Sequential(
            dense_stem(self.cfg.latent_dim, a), upsampling_stack(256, 0.0, a, final_bias=False)
        )
        return keras_initialised(g)

    def build_discriminator(self) -> nn.Module:
        a, p = KERAS_LEAKY_SLOPE, self.cfg.dropout
        d = nn.Sequential(
            conv_same(1, 64, 5, 2), nn.LeakyReLU(a), nn.Dropout(p),
            conv_same(64, 128, 5, 2), nn.LeakyReLU(a), nn.Dropout(p),
            nn.Flatten(), nn.Linear(7 * 7 * 128, self.adversarial_outputs),
        )  # fmt: skip
        return keras_initialised(d)
