"""Adversarial and auxiliary-classifier losses as pure functions of logits or scores.

Every function takes raw network outputs (logits for the BCE family, unbounded scores for the
Wasserstein family) and returns a scalar tensor averaged over the batch, so the training loop
only decides *which* loss to call, never how it is computed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "bce_discriminator_loss",
    "bce_generator_loss",
    "classification_loss",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]


def _check_target(name: str, value: float) -> None:
    # A BCE target outside [0, 1] is not a probability; the loss would still compute but would
    # push logits towards ±inf instead of towards a label, so reject it early.
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def _bce_to_constant(logits: Tensor, target: float) -> Tensor:
    # binary_cross_entropy_with_logits uses the log-sum-exp form, which stays finite for
    # large |logits|; sigmoid followed by log underflows to log(0) = -inf.
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def bce_discriminator_loss(
    real_logits: Tensor,
    fake_logits: Tensor,
    real_target: float = 1.0,
    fake_target: float = 0.0,
) -> Tensor:
    r"""Discriminator loss of the original GAN (Goodfellow et al. 2014), on logits.

    With :math:`\sigma` the logistic sigmoid, :math:`\ell_r = D(x)` and :math:`\ell_f = D(G(z))`
    the logits, and targets :math:`t_r, t_f \in [0, 1]`:

    .. math::

        \mathrm{bce}(\ell, t) = -\big[t \log\sigma(\ell) + (1-t)\log(1-\sigma(\ell))\big]
                             = \operatorname{softplus}(\ell) - t\,\ell

        L_D = \frac{1}{B}\sum_i \mathrm{bce}(\ell_{r,i}, t_r)
            + \frac{1}{B}\sum_i \mathrm{bce}(\ell_{f,i}, t_f)

    Each term is a mean over its own batch; the two are summed (not averaged), so with all
    logits at 0 the loss is :math:`2\log 2`.

    Label smoothing is expressed through the targets: one-sided smoothing uses
    ``real_target=0.9`` (Salimans et al. 2016, who advise leaving ``fake_target`` at 0);
    two-sided smoothing uses e.g. ``real_target=0.875, fake_target=0.125``.

    Args:
        real_logits: discriminator logits on real samples, any shape.
        fake_logits: discriminator logits on generated samples, any shape.
        real_target: target probability for real samples.
        fake_target: target probability for generated samples.

    Returns:
        Scalar tensor.
    """
    _check_target("real_target", real_target)
    _check_target("fake_target", fake_target)
    return _bce_to_constant(real_logits, real_target) + _bce_to_constant(fake_logits, fake_target)


def bce_generator_loss(fake_logits: Tensor, target: float = 1.0) -> Tensor:
    r"""Non-saturating generator loss, on logits.

    .. math::

        L_G = \frac{1}{B}\sum_i \mathrm{bce}(\ell_i, t), \qquad \ell_i = D(G(z_i))

    with :math:`\mathrm{bce}` as in :func:`bce_discriminator_loss`.

    With the default :math:`t = 1` this is :math:`-\mathbb{E}\log\sigma(D(G(z)))`, the
    non-saturating form that Goodfellow et al. recommend over minimising
    :math:`\mathbb{E}\log(1-\sigma(D(G(z))))`, whose gradient vanishes while the discriminator
    confidently rejects the samples.

    Args:
        fake_logits: discriminator logits on generated samples, any shape.
        target: target probability the generator wants the discriminator to assign.

    Returns:
        Scalar tensor.
    """
    _check_target("target", target)
    return _bce_to_constant(fake_logits, target)


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""WGAN critic loss (Arjovsky et al. 2017).

    .. math::

        L_C = \frac{1}{B}\sum_i C(G(z_i)) - \frac{1}{B}\sum_i C(x_i)

    Minimising it maximises the critic's estimate of the Wasserstein-1 distance
    :math:`\mathbb{E}[C(x)] - \mathbb{E}[C(G(z))]`; the Lipschitz constraint (clipping or
    :func:`ganforge.losses.gradient_penalty`) is applied separately.

    Args:
        real_scores: unbounded critic outputs on real samples.
        fake_scores: unbounded critic outputs on generated samples.

    Returns:
        Scalar tensor.
    """
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    r"""WGAN generator loss: :math:`L_G = -\frac{1}{B}\sum_i C(G(z_i))`.

    Args:
        fake_scores: unbounded critic outputs on generated samples.

    Returns:
        Scalar tensor.
    """
    return -fake_scores.mean()


def classification_loss(class_logits: Tensor, labels: Tensor) -> Tensor:
    r"""Auxiliary-classifier loss of AC-GAN (Odena et al. 2017): cross-entropy on logits.

    .. math::

        L_{cls} = -\frac{1}{B}\sum_i \log \operatorname{softmax}(\mathbf{c}_i)_{y_i}
                = \frac{1}{B}\sum_i \Big(\log\sum_k e^{c_{i,k}} - c_{i,y_i}\Big)

    ``class_logits`` must be raw logits. Applying a softmax inside the classifier head and
    then calling ``F.cross_entropy`` (which applies log-softmax again) is a known bug of
    popular AC-GAN code: the doubly-squashed probabilities make the loss nearly flat, so the
    class signal is weak and the generator learns conditioning slowly or not at all.

    Args:
        class_logits: ``B × K`` class logits.
        labels: ``B`` integer class indices in ``[0, K)``.

    Returns:
        Scalar tensor.
    """
    return F.cross_entropy(class_logits, labels)
