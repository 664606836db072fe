"""``acgan``: the auxiliary-classifier GAN (Odena et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.errors import ConfigError
from ganforge.models.base import dcgan_init, register
from ganforge.models.nets import dcgan_generator, dcgan_trunk
from ganforge.models.objectives import AuxClassifierConfig, AuxClassifierRecipe


@dataclass
class ACGANConfig(AuxClassifierConfig):
    """DCGAN-shaped AC-GAN. The class enters G multiplied into z (z ⊙ embed(y), as Odena et
    al.'s code does); D has dropout 0.3 (its class head would otherwise memorise a 10k-image
    training set).

    Measured on the 10k MNIST subset, 2 epochs: concatenating [z, embed(y)] instead made G
    ignore z, each class collapsing to one image (within-class pixel variance 0.015 against
    the data's 0.214, also with the class loss weighted 0.1 or without the fake-class term);
    multiplying keeps it at 0.20. ``conditioning: concat`` remains for comparison.
    """

    latent_dim: int = 100
    embedding_dim: int = 32
    g_channels: int = 64
    d_channels: int = 64
    dropout: float = 0.3
    conditioning: str = "multiply"  # z ⊙ embed(y) (Odena); "concat" is [z, embed(y)]

    def validate(self) -> None:
        super().validate()
        if self.conditioning not in ("concat", "multiply"):
            raise ConfigError(
                f"model.conditioning must be 'concat' or 'multiply', got {self.conditioning!r}"
            )


class ConditionalGenerator(nn.Module):
    """G(z, y): embeds the class, concatenates it with z, and runs a DCGAN generator."""

    def __init__(
        self, num_classes: int, embedding_dim: int, body: nn.Module, multiply: bool = False
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, embedding_dim)
        self.body = body
        self.multiply = multiply

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        if self.multiply:
            return self.body(z * self.embed(labels))
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
        multiply = c.conditioning == "multiply"
        width = c.latent_dim if multiply else c.latent_dim + c.embedding_dim
        body = dcgan_generator(width, c.g_channels, c.data_range)
        g = ConditionalGenerator(
            self.num_classes, c.latent_dim if multiply else c.embedding_dim, body, multiply
        )
        g.apply(dcgan_init)
        return g

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        trunk, features = dcgan_trunk(c.d_channels, True, c.dropout, 0.2, c.input_noise)
        d = TwoHeadDiscriminator(trunk, features, self.num_classes)
        d.apply(dcgan_init)
        return d
