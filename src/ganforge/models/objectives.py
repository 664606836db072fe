"""The three adversarial objectives of the classic family, as recipe base classes.

Each class defines the D and G step losses once; an architecture recipe subclasses one of them
and only builds its networks. The loss math lives in :mod:`ganforge.losses` as pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ganforge.config import ModelConfig
from ganforge.errors import ConfigError
from ganforge.losses import (
    MIX_DISTRIBUTIONS,
    bce_discriminator_loss,
    bce_generator_loss,
    classification_loss,
    gradient_penalty,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from ganforge.models.base import Recipe, Stats
from ganforge.models.layers import GaussianNoise


@dataclass
class BCEConfig(ModelConfig):
    """Binary cross-entropy GAN settings: label targets and instance noise on D's input."""

    real_label: float = 1.0  # 0.9 is one-sided label smoothing
    fake_label: float = 0.0
    input_noise: float = 0.0  # σ of Gaussian noise added to D's input (real and fake)
    input_noise_anneal: bool = False  # decay σ linearly to 0 over the run

    def validate(self) -> None:
        super().validate()
        for name in ("real_label", "fake_label"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"model.{name} must be in [0, 1], got {getattr(self, name)}")
        if self.input_noise < 0:
            raise ConfigError(f"model.input_noise must be >= 0, got {self.input_noise}")


class BCERecipe(Recipe):
    """Minimax GAN with the non-saturating G loss (Goodfellow et al. 2014), on D's logits."""

    config_cls = BCEConfig
    cfg: BCEConfig
    probability_outputs = True  # d_real and d_fake are sigmoid(logit) means

    def set_progress(self, fraction: float) -> None:
        """Anneal D's input noise: σ(t) = σ₀·(1 − t) when ``input_noise_anneal`` is on."""
        self.progress = fraction
        sigma = self.cfg.input_noise * (1 - fraction if self.cfg.input_noise_anneal else 1)
        for module in self.discriminator.modules():
            if isinstance(module, GaussianNoise):
                module.sigma = sigma

    def discriminator_step_loss(self, real: Tensor, labels: Tensor) -> tuple[Tensor, Stats]:
        with torch.no_grad():
            fake, _ = self.fresh_fakes(real.shape[0])
        real_logits = self.discriminator(real)
        fake_logits = self.discriminator(fake)
        loss = bce_discriminator_loss(
            real_logits, fake_logits, self.cfg.real_label, self.cfg.fake_label
        )
        return loss, {
            "d_loss": loss.detach(),
            "d_real": torch.sigmoid(real_logits.detach()).mean(),
            "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
        }

    def generator_step_loss(self, batch_size: int) -> tuple[Tensor, Stats]:
        fake, _ = self.fresh_fakes(batch_size)
        loss = bce_generator_loss(self.discriminator(fake))
        return loss, {"g_loss": loss.detach()}


@dataclass
class WassersteinConfig(ModelConfig):
    """WGAN-GP settings (Gulrajani et al. 2017): penalty weight λ and critic steps."""

    gp_weight: float = 10.0
    gp_mix: str = "uniform"  # per-sample ε ~ U(0,1); "normal" is the classic quirk, a bug

    def validate(self) -> None:
        super().validate()
        if self.gp_weight < 0:
            raise ConfigError(f"model.gp_weight must be >= 0, got {self.gp_weight}")
        if self.gp_mix not in MIX_DISTRIBUTIONS:
            raise ConfigError(
                f"model.gp_mix must be one of {MIX_DISTRIBUTIONS}, got {self.gp_mix!r}"
            )


class WassersteinRecipe(Recipe):
    """Critic loss E[D(G(z))] − E[D(x)] + λ·GP; generator loss −E[D(G(z))].

    D(x) and D(G(z)) are reported as the critic's mean raw scores, and ``w_dist`` is their
    difference, the running estimate of the Wasserstein distance.
    """

    config_cls = WassersteinConfig
    cfg: WassersteinConfig
    extra_stats = ("gp", "w_dist")
    probability_outputs = False  # raw critic scores: unbounded, no "D wins" threshold applies

    def discriminator_step_loss(self, real: Tensor, labels: Tensor) -> tuple[Tensor, Stats]:
        with torch.no_grad():
            fake, _ = self.fresh_fakes(real.shape[0])
        real_scores = self.discriminator(real)
        fake_scores = self.discriminator(fake)
        gp = gradient_penalty(self.discriminator, real, fake, mix=self.cfg.gp_mix)
        loss = wasserstein_critic_loss(real_scores, fake_scores) + self.cfg.gp_weight * gp
        d_real = real_scores.detach().mean()
        d_fake = fake_scores.detach().mean()
        return loss, {
            "d_loss": loss.detach(),
            "d_real": d_real,
            "d_fake": d_fake,
            "gp": gp.detach(),
            "w_dist": d_real - d_fake,
        }

    def generator_step_loss(self, batch_size: int) -> tuple[Tensor, Stats]:
        fake, _ = self.fresh_fakes(batch_size)
        loss = wasserstein_generator_loss(self.discriminator(fake))
        return loss, {"g_loss": loss.detach()}


@dataclass
class AuxClassifierConfig(BCEConfig):
    """AC-GAN settings (Odena et al. 2017): weight of the class head's cross-entropy."""

    class_weight: float = 1.0
    fake_class_loss: bool = True  # D also learns to classify fakes by their requested class

    def validate(self) -> None:
        super().validate()
        if self.class_weight < 0:
            raise ConfigError(f"model.class_weight must be >= 0, got {self.class_weight}")


class AuxClassifierRecipe(BCERecipe):
    """AC-GAN: D has a real/fake head and a class head; G is told which class to draw.

    D returns ``(adversarial_logits, class_logits)``. Both heads are trained on logits: the
    class loss is cross-entropy on raw logits, never on a softmax (a common copied bug).
    """

    config_cls = AuxClassifierConfig
    cfg: AuxClassifierConfig
    conditional = True
    extra_stats = ("cls_loss", "cls_acc")

    def discriminator_step_loss(self, real: Tensor, labels: Tensor) -> tuple[Tensor, Stats]:
        with torch.no_grad():
            fake, fake_labels = self.fresh_fakes(real.shape[0])
        real_adv, real_cls = self.discriminator(real)
        fake_adv, fake_cls = self.discriminator(fake)
        adv = bce_discriminator_loss(real_adv, fake_adv, self.cfg.real_label, self.cfg.fake_label)
        cls = classification_loss(real_cls, labels)
        if self.cfg.fake_class_loss:
            cls = cls + classification_loss(fake_cls, fake_labels)
        loss = adv + self.cfg.class_weight * cls
        return loss, {
            "d_loss": loss.detach(),
            "d_real": torch.sigmoid(real_adv.detach()).mean(),
            "d_fake": torch.sigmoid(fake_adv.detach()).mean(),
            "cls_loss": cls.detach(),
            "cls_acc": (real_cls.detach().argmax(1) == labels).float().mean(),
        }

    def generator_step_loss(self, batch_size: int) -> tuple[Tensor, Stats]:
        fake, fake_labels = self.fresh_fakes(batch_size)
        adv_logits, cls_logits = self.discriminator(fake)
        loss = bce_generator_loss(adv_logits) + self.cfg.class_weight * classification_loss(
            cls_logits, fake_labels
        )
        return loss, {"g_loss": loss.detach()}
