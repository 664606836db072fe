"""The Wasserstein objective with a gradient penalty (WGAN-GP, Gulrajani et al. 2017) as a
recipe base class: its config (penalty weight, mixing distribution) and the critic and G step
losses. The loss math lives in :mod:`ganforge.losses` as pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ganforge.config import ModelConfig
from ganforge.errors import ConfigError
from ganforge.losses import (
    MIX_DISTRIBUTIONS,
    gradient_penalty,
    mix_weights,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from ganforge.models.base import Recipe, Stats


@dataclass
class WassersteinConfig(ModelConfig):
    """WGAN-GP settings (Gulrajani et al. 2017): penalty weight λ and critic steps."""

    gp_weight: float = 10.0
    gp_mix: str = "uniform"  # per-sample ε ~ U(0,1); "normal" is a classic code's bug

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
    double_backward = True  # the gradient penalty

    def discriminator_step_loss(self, real: Tensor, labels: Tensor) -> tuple[Tensor, Stats]:
        with torch.no_grad():
            fake, _ = self.fresh_fakes(real.shape[0])
        real_scores, fake_scores = self.discriminate(real, fake)
        mix = "normal" if self.cfg.quirk("gp_mix_normal") else self.cfg.gp_mix
        eps = self.per_sample_draw(lambda n: mix_weights(n, real, mix), real.shape[0])
        # Through D's data-parallel wrapper: the penalty's gradient w.r.t. D's weights is
        # part of what the backward averages across processes (autograd.grad inside only
        # differentiates w.r.t. the mixed images, which fires none of DDP's hooks).
        gp = gradient_penalty(self.d_forward, real, fake, mix=mix, weights=eps)
        loss = wasserstein_critic_loss(real_scores, fake_scores) + self.cfg.gp_weight * gp
        d_real = real_scores.detach().mean()
        d_fake = fake_scores.detach().mean()
        return loss, {
            "d_loss": loss.detach(),
            "d_real": d_real,
            "d_fake": d_fake,
            "gp": gp.detach(),
            "w_dist": d_real - d_fake,
            # ADA: each real image's score against its pair's fake, sign(D(x) − D(G(z))).
            # The loss sees only differences, so the critic's level drifts freely and the
            # sign of its raw score says nothing; per pair, every process's are its own.
            **self.observe_real(real_scores - fake_scores),
        }

    def generator_step_loss(self, batch_size: int) -> tuple[Tensor, Stats]:
        fake, _ = self.fresh_fakes(batch_size)
        loss = wasserstein_generator_loss(self.discriminator_in_g_step(fake))
        return loss, {"g_loss": loss.detach()}
