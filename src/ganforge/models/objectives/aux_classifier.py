"""The auxiliary-classifier objective (AC-GAN, Odena et al. 2017) as a recipe base class:
its config (the class loss's weight, which fakes it covers, the fakes' classes) and the D and G
step losses, the BCE objective's adversarial head plus a class head's cross-entropy.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ganforge.errors import ConfigError
from ganforge.losses import classification_loss
from ganforge.models.base import Stats
from ganforge.models.objectives.bce import BCEConfig, BCERecipe


@dataclass
class AuxClassifierConfig(BCEConfig):
    """AC-GAN settings (Odena et al. 2017): weight of the class head's cross-entropy."""

    class_weight: float = 1.0
    fake_class_loss: bool = True  # D also learns to classify fakes by their requested class
    fake_labels: str = "random"  # fakes' classes: "random", or "real" (the real batch's)

    def validate(self) -> None:
        super().validate()
        if self.class_weight < 0:
            raise ConfigError(f"model.class_weight must be >= 0, got {self.class_weight}")
        if self.fake_labels not in ("random", "real"):
            raise ConfigError(
                f"model.fake_labels must be 'random' or 'real', got {self.fake_labels!r}"
            )


class AuxClassifierRecipe(BCERecipe):
    """AC-GAN: D has a real/fake head and a class head; G is told which class to draw.

    D returns ``(adversarial_logits, class_logits)``. Both heads are trained on logits: the
    class loss is cross-entropy on raw logits, never on a softmax (a common copied bug).
    With ``fake_labels: real`` the fakes of a D step are drawn for the real batch's classes,
    and the next G step reuses them: with class-homogeneous batches (``train.sampling:
    class``), every D and G batch is then all one class.
    """

    config_cls = AuxClassifierConfig
    cfg: AuxClassifierConfig
    conditional = True
    extra_stats = ("cls_loss", "cls_acc")
    _last_labels: Tensor | None = None

    def discriminator_step_loss(self, real: Tensor, labels: Tensor) -> tuple[Tensor, Stats]:
        with torch.no_grad():
            fake, fake_labels = self.fresh_fakes(real.shape[0], self._fake_labels_for(labels))
        real = self.recording_gradients(real)
        (real_adv, real_cls), (fake_adv, fake_cls) = self.discriminate(real, fake)
        adv = self.adversarial_d_loss(real_adv, fake_adv)
        cls = classification_loss(real_cls, labels)
        if self.cfg.fake_class_loss:
            cls = cls + classification_loss(fake_cls, fake_labels)
        if self.cfg.joint_batch:  # one mean over the joint batch, as for the adversarial head
            cls = cls / 2
        loss = adv + self.cfg.class_weight * cls
        stats = {
            "d_real": self.prob_real(real_adv.detach()).mean(),
            "d_fake": self.prob_real(fake_adv.detach()).mean(),
            "cls_loss": cls.detach(),
            "cls_acc": (real_cls.detach().argmax(1) == labels).float().mean(),
        }
        return self.with_r1(loss, stats, real, real_adv)

    def generator_step_loss(self, batch_size: int) -> tuple[Tensor, Stats]:
        labels = self._last_labels if self.cfg.fake_labels == "real" else None
        if labels is not None and labels.shape[0] != batch_size:
            labels = None
        fake, fake_labels = self.fresh_fakes(batch_size, labels)
        adv_logits, cls_logits = self.discriminator_in_g_step(fake)
        loss = self.adversarial_g_loss(adv_logits) + self.cfg.class_weight * classification_loss(
            cls_logits, fake_labels
        )
        return loss, {"g_loss": loss.detach()}

    def _fake_labels_for(self, real_labels: Tensor) -> Tensor | None:
        if self.cfg.fake_labels != "real":
            return None
        self._last_labels = real_labels
        return real_labels
