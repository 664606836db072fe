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
    "noisy_soft_targets",
    "pair_softmax_discriminator_loss",
    "pair_softmax_generator_loss",
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


def soft_target_cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    r"""Cross-entropy of a softmax over ``logits`` against (soft) target weights, batch mean.

    .. math::

        \mathrm{ce}(\ell, t) = -\sum_k t_k \log\operatorname{softmax}(\ell)_k

    computed with ``log_softmax`` on the logits. The targets are not normalised (Keras'
    categorical cross-entropy does not normalise them either), so weights such as
    ``[0.1, 1.1]`` are taken as given.

    Args:
        logits: ``B × K`` logits.
        targets: ``B × K`` target weights, or ``K`` weights shared by the batch.

    Returns:
        Scalar tensor.
    """
    return -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def noisy_soft_targets(
    n: int, real: bool, per_sample: bool = True, generator: torch.Generator | None = None
) -> Tensor:
    r"""Noisy soft labels for a 2-way ``[fake, real]`` softmax, as the Keras 1 DCGANs drew them.

    For real images the targets are :math:`[u_0, u_1]` with :math:`u_0 \sim U(0, 0.3)` and
    :math:`u_1 \sim U(0.7, 1.2)`; for fakes the reverse, :math:`[u_1, u_0]`. With
    ``per_sample`` (the default) every image gets its own draw; ``per_sample=False`` is the
    classic code's bug, one draw shared by the whole batch.

    Returns:
        ``n × 2`` float tensor (on the CPU; move it to the logits' device).
    """
    rows = n if per_sample else 1
    low = torch.rand(rows, 1, generator=generator) * 0.3
    high = 0.7 + torch.rand(rows, 1, generator=generator) * 0.5
    pair = torch.cat([low, high] if real else [high, low], dim=1)
    return pair.expand(n, 2)


def pair_softmax_discriminator_loss(
    real_logits: Tensor, fake_logits: Tensor, real_targets: Tensor, fake_targets: Tensor
) -> Tensor:
    r"""Discriminator loss of a 2-way ``[fake, real]`` softmax head, on logits.

    .. math::

        L_D = \frac{1}{B}\sum_i \mathrm{ce}(\mathbf{\ell}_{r,i}, \mathbf{t}_{r,i})
            + \frac{1}{B}\sum_i \mathrm{ce}(\mathbf{\ell}_{f,i}, \mathbf{t}_{f,i})

    with :math:`\mathrm{ce}` as in :func:`soft_target_cross_entropy`. With hard targets
    (real ``[0, 1]``, fake ``[1, 0]``) this equals :func:`bce_discriminator_loss` on the logit
    difference :math:`\ell_{\cdot,1} - \ell_{\cdot,0}`.

    Args:
        real_logits, fake_logits: ``B × 2`` logits, column 0 "fake", column 1 "real".
        real_targets, fake_targets: ``B × 2`` targets, e.g. from :func:`noisy_soft_targets`.
    """
    return soft_target_cross_entropy(real_logits, real_targets) + soft_target_cross_entropy(
        fake_logits, fake_targets
    )


def pair_softmax_generator_loss(fake_logits: Tensor) -> Tensor:
    r"""Non-saturating generator loss for a 2-way ``[fake, real]`` softmax head:
    :math:`L_G = -\frac{1}{B}\sum_i \log\operatorname{softmax}(\mathbf{\ell}_i)_{\text{real}}`.

    Args:
        fake_logits: ``B × 2`` logits of D on generated samples.
    """
    return -F.log_softmax(fake_logits, dim=1)[:, 1].mean()


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
