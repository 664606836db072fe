"""``acgan``: the auxiliary-classifier GAN (Odena et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganforge.errors import ConfigError
from ganforge.models.layers import ClassBatchNorm2d
from ganforge.models.nets import dcgan_generator, dcgan_trunk
from ganforge.models.objectives import AuxClassifierConfig, AuxClassifierRecipe
from ganforge.models.registry import register, schedule
from ganforge.models.weights import dcgan_init


@dataclass
class ACGANConfig(AuxClassifierConfig):
    """DCGAN-shaped AC-GAN. The class enters G multiplied into z (z ⊙ embed(y), as Odena et
    al.'s code does) and, through class-conditional batch norm, each batch-normed layer of G.
    D is ``dcgan``'s trunk with a real/fake head and a class head.

    Multiplying, because concatenating [z, embed(y)] made G ignore z, each class collapsing
    to one image; ``conditioning: concat`` remains for comparison. Class-conditional batch norm
    in G (``class_batch_norm``, as in SNGAN's and BigGAN's generators): each of G's batch norms
    takes its scale and shift from the class embedding, so the class steers G's hidden layers,
    not only its input (the digits of a class then vary less, AC-GAN's known trade).

    Defaults: latent 100, batch 32 and learning rate 8e-4 as for ``dcgan``; D's class head
    learns from real images only (``fake_class_loss`` off: trained on fakes too, the head learns
    to accept G's poor digits as their class, and the pressure on G to draw the class fades);
    the class loss weighted 5; an EMA of G's weights (0.999); no dropout in D. ``dcgan``'s R1
    penalty stays off: it keeps a long run improving, but is behind at 5 epochs.

    Tuning history: docs/tuning.md#acgan
    """

    latent_dim: int = 100
    embedding_dim: int = 32
    g_channels: int = 64
    d_channels: int = 64
    dropout: float = 0.0
    lr_g: float = 8e-4
    lr_d: float = 8e-4
    class_weight: float = 5.0
    fake_class_loss: bool = False
    ema_decay: float = 0.999
    conditioning: str = "multiply"  # z ⊙ embed(y) (Odena); "concat" is [z, embed(y)]
    class_batch_norm: bool = True  # G's batch norms take scale and shift from embed(y)
    saved_before: ClassVar[dict[str, Any]] = {"class_batch_norm": False}

    def validate(self) -> None:
        super().validate()
        if self.conditioning not in ("concat", "multiply"):
            raise ConfigError(
                f"model.conditioning must be 'concat' or 'multiply', got {self.conditioning!r}"
            )


class ConditionalGenerator(nn.Module):
    """G(z, y): embeds the class, multiplies it into z (or concatenates it), and runs a DCGAN
    generator whose :class:`ClassBatchNorm2d` layers also take the embedding."""

    def __init__(
        self, num_classes: int, embedding_dim: int, body: nn.Sequential, multiply: bool = False
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, embedding_dim)
        self.body = body
        self.multiply = multiply

    def condition_batch_norms(self) -> None:
        """Replace the body's batch norms with class-conditional ones (scale and shift from the
        class embedding; they start as plain batch norms)."""
        width = self.embed.embedding_dim
        for i, layer in enumerate(self.body):
            if isinstance(layer, nn.BatchNorm2d):
                self.body[i] = ClassBatchNorm2d(layer.num_features, width)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        return self.from_embedding(z, self.class_embedding(labels))

    def class_embedding(self, labels: Tensor) -> Tensor:
        """The vectors that stand for ``labels`` inside G."""
        return self.embed(labels)

    def from_embedding(self, z: Tensor, embedding: Tensor) -> Tensor:
        """G(z, e) for class embeddings ``e`` given directly: a mix of two classes' embeddings
        draws a digit between them (``ganforge.generation.class_interpolation``)."""
        h = z * embedding if self.multiply else torch.cat([z, embedding], dim=1)
        for layer in self.body:
            h = layer(h, embedding) if isinstance(layer, ClassBatchNorm2d) else layer(h)
        return h


class TwoHeadDiscriminator(nn.Module):
    """D(x) → (real/fake logit, class logits) over a shared trunk."""

    def __init__(self, trunk: nn.Module, features: int, num_classes: int, adv: int = 1) -> None:
        super().__init__()
        self.trunk = trunk
        self.adversarial = nn.Linear(features, adv)  # 1 logit, or the [fake, real] pair
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
    train_defaults = schedule(batch_size=32)

    def build_generator(self) -> nn.Module:
        c = self.cfg
        multiply = c.conditioning == "multiply"
        width = c.latent_dim if multiply else c.latent_dim + c.embedding_dim
        body = dcgan_generator(width, c.g_channels, c.data_range)
        g = ConditionalGenerator(
            self.num_classes, c.latent_dim if multiply else c.embedding_dim, body, multiply
        )
        g.apply(dcgan_init)
        if c.class_batch_norm:  # after the init, which would draw its zero projections anew
            g.condition_batch_norms()
        return g

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        trunk, features = dcgan_trunk(c.d_channels, True, c.dropout, 0.2, c.input_noise)
        d = TwoHeadDiscriminator(trunk, features, self.num_classes, self.adversarial_outputs)
        d.apply(dcgan_init)
        return d
