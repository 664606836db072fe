"""GAN losses and penalties as pure functions of network outputs."""

from ganforge.losses.adversarial import (
    bce_discriminator_loss,
    bce_generator_loss,
    classification_loss,
    noisy_soft_targets,
    pair_softmax_discriminator_loss,
    pair_softmax_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from ganforge.losses.penalties import MIX_DISTRIBUTIONS, gradient_penalty, mix_weights, r1_penalty

__all__ = [
    "MIX_DISTRIBUTIONS",
    "bce_discriminator_loss",
    "bce_generator_loss",
    "classification_loss",
    "gradient_penalty",
    "mix_weights",
    "noisy_soft_targets",
    "pair_softmax_discriminator_loss",
    "pair_softmax_generator_loss",
    "r1_penalty",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]
