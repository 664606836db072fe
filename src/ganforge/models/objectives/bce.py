"""The binary cross-entropy objective (Goodfellow et al. 2014) as a recipe base class: its
config (D's output head, label targets, instance noise, the R1 penalty) and the D and G step
losses, with the adversarial head that the AC-GAN objective shares. The loss math lives in
:mod:`ganforge.losses` as pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from ganforge.config import ModelConfig
from ganforge.errors import ConfigError
from ganforge.losses import (
    bce_discriminator_loss,
    bce_generator_loss,
    noisy_soft_targets,
    pair_softmax_discriminator_loss,
    pair_softmax_generator_loss,
    r1_penalty,
)
from ganforge.models.base import Recipe, Stats
from ganforge.models.layers import GaussianNoise

D_OUTPUTS = ("logit", "pair")  # model.d_output of the BCE family


@dataclass
class BCEConfig(ModelConfig):
    """Binary cross-entropy GAN settings: D's output head, label targets, instance noise.

    ``d_output`` "logit" is one logit per image (a sigmoid gives D(x)); "pair" is a 2-way
    ``[fake, real]`` softmax, as the Keras 1 DCGANs used, with targets
    ``[1 - label, label]`` or, with ``soft_labels``, noisy soft targets drawn per image.

    ``r1_weight`` γ adds ``γ/2 · R1`` to D's loss, R1 being D's squared gradient norm on the
    real batch (:func:`~ganforge.losses.r1_penalty`; for the pair head, of the real-minus-fake
    logit). It costs a second backward through D in every D step. With ``joint_batch`` the
    adversarial loss is halved (one mean over 2B images) but R1, a mean over the B real
    images, is not.
    """

    real_label: float = 1.0  # 0.9 is one-sided label smoothing
    fake_label: float = 0.0
    input_noise: float = 0.0  # σ of Gaussian noise added to D's input (real and fake)
    input_noise_anneal: bool = False  # decay σ linearly to 0 over the run
    d_output: str = "logit"  # "logit" or "pair" (see the class docstring)
    soft_labels: bool = False  # "pair" head only: real ≈ [U(0,.3), U(.7,1.2)], fakes reversed
    r1_weight: float = 0.0  # γ of the R1 penalty on D's gradient at real images (0: off)
    # Runs saved before r1_weight existed trained without the penalty (dcgan's default is 1).
    saved_before: ClassVar[dict[str, Any]] = {"r1_weight": 0.0}

    def validate(self) -> None:
        super().validate()
        for name in ("real_label", "fake_label"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"model.{name} must be in [0, 1], got {getattr(self, name)}")
        if self.input_noise < 0:
            raise ConfigError(f"model.input_noise must be >= 0, got {self.input_noise}")
        if self.r1_weight < 0:
            raise ConfigError(f"model.r1_weight must be >= 0, got {self.r1_weight}")
        if self.d_output not in D_OUTPUTS:
            raise ConfigError(f"model.d_output must be 'logit' or 'pair', got {self.d_output!r}")
        if self.soft_labels and self.d_output != "pair":
            raise ConfigError("model.soft_labels needs model.d_output 'pair' (a 2-way softmax)")


class BCERecipe(Recipe):
    """Minimax GAN with the non-saturating G loss (Goodfellow et al. 2014), on D's logits."""

    config_cls = BCEConfig
    cfg: BCEConfig
    probability_outputs = True  # d_real and d_fake are sigmoid(logit) means

    def __init__(self, cfg: BCEConfig, num_classes: int = 10) -> None:
        super().__init__(cfg, num_classes)
        if cfg.r1_weight > 0:  # this run's D loss has the R1 penalty: log it, and say so
            self.extra_stats = (*self.extra_stats, "r1")
            self.double_backward = True

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
        real = self.recording_gradients(real)
        real_logits, fake_logits = self.discriminate(real, fake)
        loss = self.adversarial_d_loss(real_logits, fake_logits)
        return self.with_r1(
            loss,
            {
                "d_real": self.prob_real(real_logits.detach()).mean(),
                "d_fake": self.prob_real(fake_logits.detach()).mean(),
            },
            real,
            real_logits,
        )

    def generator_step_loss(self, batch_size: int) -> tuple[Tensor, Stats]:
        fake, _ = self.fresh_fakes(batch_size)
        loss = self.adversarial_g_loss(self.discriminator_in_g_step(fake))
        return loss, {"g_loss": loss.detach()}

    # -- the adversarial head, shared with AC-GAN ----------------------------------------------
    def recording_gradients(self, real: Tensor) -> Tensor:
        """The real batch, as a leaf that records gradients when R1 needs D's slope on it."""
        return real.detach().requires_grad_(True) if self.cfg.r1_weight > 0 else real

    def with_r1(
        self, loss: Tensor, stats: Stats, real: Tensor, real_logits: Tensor
    ) -> tuple[Tensor, Stats]:
        """D's step loss plus ``γ/2 · R1`` when ``r1_weight`` γ is on, and its statistics
        (``d_loss`` is the total, as WGAN-GP's includes its penalty). The real scores (the
        logit, or the pair head's real-minus-fake logit) also go to ADA's controller."""
        scores = real_logits if self.cfg.d_output == "logit" else real_logits.diff(dim=1)
        stats = {**stats, **self.observe_real(scores)}
        if self.cfg.r1_weight > 0:
            r1 = r1_penalty(real, scores)
            loss = loss + self.cfg.r1_weight / 2 * r1
            stats = {**stats, "r1": r1.detach()}
        return loss, {"d_loss": loss.detach(), **stats}

    @property
    def adversarial_outputs(self) -> int:
        """Width of D's real/fake output: 1 logit, or 2 for the ``[fake, real]`` pair head."""
        return 2 if self.cfg.d_output == "pair" else 1

    def adversarial_d_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """D's real/fake loss for the configured head and targets; halved with a joint batch
        (the mean over the 2B images of one forward, as Keras computes it)."""
        c = self.cfg
        if c.d_output == "logit":
            loss = bce_discriminator_loss(real_logits, fake_logits, c.real_label, c.fake_label)
        else:
            n, device = real_logits.shape[0], real_logits.device
            if c.soft_labels:
                per_sample = not c.quirk("soft_labels_per_batch")
                real_t = self.per_sample_draw(
                    lambda m: noisy_soft_targets(m, True, per_sample), n
                ).to(device)
                fake_t = self.per_sample_draw(
                    lambda m: noisy_soft_targets(m, False, per_sample), n
                ).to(device)
            else:
                real_t = real_logits.new_tensor([1 - c.real_label, c.real_label])
                fake_t = real_logits.new_tensor([1 - c.fake_label, c.fake_label])
            loss = pair_softmax_discriminator_loss(real_logits, fake_logits, real_t, fake_t)
        return loss / 2 if c.joint_batch else loss

    def adversarial_g_loss(self, fake_logits: Tensor) -> Tensor:
        """G's non-saturating loss: D should call its fakes real."""
        if self.cfg.d_output == "pair":
            return pair_softmax_generator_loss(fake_logits)
        return bce_generator_loss(fake_logits)

    def prob_real(self, logits: Tensor) -> Tensor:
        """D's probability that each image is real (sigmoid, or the pair softmax's "real")."""
        if self.cfg.d_output == "pair":
            return torch.softmax(logits.float(), dim=1)[:, 1]
        return torch.sigmoid(logits)
