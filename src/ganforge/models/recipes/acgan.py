"""``acgan``: the auxiliary-classifier GAN (Odena et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.models.base import dcgan_init, register
from ganforge.models.nets import dcgan_generator, dcgan_trunk
from ganforge.models.objectives import AuxClassifierConfig, AuxClassifierRecipe


@dataclass
class ACGANConfig(AuxClassifierConfig):
    """DCGAN-shaped AC-GAN; the class enters G as a learned embedding concatenated to z.
    D has dropout 0.3 (its class head would otherwise memorise a 10k-image training set).
    """

    latent_dim: int = 100
    embedding_dim: int = 32
    g_channels: int = 64
    d_channels: int = 64
    dropout: float = 0.3


class ConditionalGenerator(nn.Module):
    """G(z, y): embeds the class, concatenates it with z, and runs a DCGAN generator."""

    def __init__(self, num_classes: int, embedding_dim: int, body: nn.Module) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, embedding_dim)
        self.body = body

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        return self.body(torch.cat([z, self.embed(labels)], dim=1))


class TwoHeadDiscriminator(nn.Module):
    """D(x) → (real/fake logit, class logits) over a shared trunk."""

    def __init__(self, trunk: nn.Module, features: int, num_classes: int) -> None:
        super().__init__()
        self.trunk = trunk
        self.adversarial = nn.Linear(features, 1)
        self.classifier = nn.Linear(features, num_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.trunk(x)
        return self.adversarial(h), self.classifier(h)


@register
class ACGAN(AuxClassifierRecipe):
    name = "acgan"
    family = "acgan"
    summary = "AC-GAN: class-conditional G; D with real/fake and class heads (CE on logits)"
    config_cls = ACGANConfig
    cfg: ACGANConfig

    def build_generator(self) -> nn.Module:
        c = self.cfg
        body = dcgan_generator(c.latent_dim + c.embedding_dim, c.g_channels, c.data_range)
        g = ConditionalGenerator(self.num_classes, c.embedding_dim, body)
        g.apply(dcgan_init)
        return g

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        trunk, features = dcgan_trunk(c.d_channels, True, c.dropout, 0.2, c.input_noise)
        d = TwoHeadDiscriminator(trunk, features, self.num_classes)
        d.apply(dcgan_init)
        return d
