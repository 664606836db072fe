"""Family E: the Keras 1 DCGAN and AC-GAN (latent 100 U(-1, 1), tanh everywhere).

D ends in a 2-way softmax ``[fake, real]`` (``d_output: pair``) trained on noisy soft labels,
real ≈ [U(0, 0.3), U(0.7, 1.2)] and fakes the reverse, on one concatenated batch. Training is
by iterations of random batches; ganforge calls 500 iterations an epoch (the AC-GAN's grid
interval), so 40 epochs are the DCGAN's 20,000 iterations.

``classic_quirks: true`` brings back two bugs of the classic code: D is not frozen during the
G step (the combined model's optimizer updates D too, towards calling fakes real), and one
soft-label draw is shared by the whole batch. Off, D is frozen and every image gets its own
draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.models.layers import Reshape
from ganforge.models.objectives import (
    AuxClassifierConfig,
    AuxClassifierRecipe,
    BCEConfig,
    BCERecipe,
)
from ganforge.models.presets.keras import conv_same, keras_initialised
from ganforge.models.recipes.acgan import TwoHeadDiscriminator
from ganforge.models.registry import register, schedule

SOURCE = "Keras 1 family E: DCGAN and AC-GAN with a 2-way softmax D and noisy soft labels"
QUIRKS = ("d_trains_in_g_step", "soft_labels_per_batch")


@dataclass
class DcganUpsampleConfig(BCEConfig):
    """Batches of 64 real + 64 fake; D plain SGD 0.01, G Adam 1e-5 (β1 0.9)."""

    quirks: ClassVar[tuple[str, ...]] = QUIRKS
    latent_distribution: str = "uniform"
    d_output: str = "pair"
    soft_labels: bool = True
    joint_batch: bool = True
    optimizer_d: str = "sgd"
    lr_d: float = 0.01
    lr_g: float = 1e-5
    beta1: float = 0.9
    dropout: float = 0.2


@register
class DcganUpsample(BCERecipe):
    name = "dcgan-upsample"
    family = "dcgan"
    preset_of = "dcgan"
    source = SOURCE
    summary = "the Keras 1 DCGAN: nearest upsampling + 3×3 convs, tanh, 2-way softmax D"
    config_cls = DcganUpsampleConfig
    cfg: DcganUpsampleConfig
    published_counts = (4_008_961, 14_488_834)
    train_defaults = schedule(batch_size=64, epochs=40, sampling="replacement", epoch_steps=500)

    def build_generator(self) -> nn.Module:
        g = nn.Sequential(
            nn.Linear(self.cfg.latent_dim, 512 * 7 * 7), nn.Tanh(), Reshape(512, 7, 7),
            nn.Upsample(scale_factor=2), conv_same(512, 256, 3), nn.Tanh(),
            nn.Upsample(scale_factor=2), conv_same(256, 128, 3), nn.Tanh(),
            nn.Conv2d(128, 1, 1), nn.Tanh(),
        )  # fmt: skip
        return keras_initialised(g)

    def build_discriminator(self) -> nn.Module:
        p = self.cfg.dropout
        d = nn.Sequential(
            conv_same(1, 128, 5, 2), nn.Tanh(), nn.Dropout(p),
            conv_same(128, 512, 5, 2), nn.Tanh(), nn.Dropout(p),
            nn.Flatten(), nn.Linear(512 * 7 * 7, 512), nn.Tanh(), nn.Dropout(p),
            nn.Linear(512, self.adversarial_outputs),  # [fake, real]: softmax inside the loss
        )  # fmt: skip
        return keras_initialised(d)


@dataclass
class AcganMultConfig(AuxClassifierConfig):
    """Class-homogeneous batches of 8 real + 8 fake (``train.sampling: class`` and
    ``fake_labels: real``), D trained 3× per step, Adam 2e-5 (β1 0.9), images padded to 32."""

    quirks: ClassVar[tuple[str, ...]] = QUIRKS
    latent_distribution: str = "uniform"
    resolution: int = 32
    d_output: str = "pair"
    soft_labels: bool = True
    joint_batch: bool = True
    fake_labels: str = "real"
    d_steps: int = 3
    d_steps_same_batch: bool = True  # D trained 3× on the step's one-class batch
    lr_g: float = 2e-5
    lr_d: float = 2e-5
    beta1: float = 0.9
    g_dropout: float = 0.4
    dropout: float = 0.3


class MultipliedClassGenerator(nn.Module):
    """G(z, y) = net(z ⊙ tanh(Dense100(one_hot(y)))): the class multiplies the noise."""

    def __init__(self, latent_dim: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Sequential(nn.Linear(num_classes, latent_dim), nn.Tanh())
        p = dropout
        self.body = nn.Sequential(
            nn.Linear(latent_dim, 512 * 8 * 8), nn.Tanh(), Reshape(512, 8, 8),
            conv_same(512, 512, 5), nn.Tanh(), nn.Dropout(p),
            nn.Upsample(scale_factor=2), conv_same(512, 256, 5), nn.Tanh(), nn.Dropout(p),
            nn.Upsample(scale_factor=2), conv_same(256, 256, 5), nn.Tanh(), nn.Dropout(p),
            nn.Conv2d(256, 1, 1), nn.Tanh(),
        )  # fmt: skip

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        one_hot = F.one_hot(labels, self.num_classes).to(z.dtype)
        return self.body(z * self.embed(one_hot))


@register
class AcganMult(AuxClassifierRecipe):
    name = "acgan-mult"
    family = "acgan"
    preset_of = "acgan"
    source = SOURCE
    summary = "the Keras 1 AC-GAN: class multiplied into z, 32×32, one-class batches"
    assumed = "3×3 kernels in D (its count fits no other); 40 epochs of 500 iterations"
    config_cls = AcganMultConfig
    cfg: AcganMultConfig
    resolutions = (32,)
    published_counts = (14_780_749, 1_230_732)
    # per-class grids of every digit at the end
    train_defaults = schedule(
        batch_size=8, epochs=40, sampling="class", epoch_steps=500, grid_layout="per-class"
    )

    def build_generator(self) -> nn.Module:
        c = self.cfg
        g = MultipliedClassGenerator(c.latent_dim, self.num_classes, c.g_dropout)
        return keras_initialised(g)

    def build_discriminator(self) -> nn.Module:
        p = self.cfg.dropout
        trunk = nn.Sequential(
            conv_same(1, 128, 3), nn.Tanh(), nn.Dropout(p),
            conv_same(128, 128, 3, 2), nn.Tanh(), nn.Dropout(p),
            conv_same(128, 256, 3, 2), nn.Tanh(), nn.Dropout(p),
            conv_same(256, 256, 3), nn.Tanh(), nn.Dropout(p),
            nn.Flatten(),
        )  # fmt: skip
        d = TwoHeadDiscriminator(trunk, 256 * 8 * 8, self.num_classes, self.adversarial_outputs)
        return keras_initialised(d)
