"""Gradient penalties: WGAN-GP's (Gulrajani et al. 2017) and R1 (Mescheder et al. 2018)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["MIX_DISTRIBUTIONS", "gradient_penalty", "mix_weights", "r1_penalty"]

#: Distributions accepted for the interpolation weight ε (see :func:`gradient_penalty`).
MIX_DISTRIBUTIONS: tuple[str, ...] = ("uniform", "normal")


def mix_weights(
    n: int, like: Tensor, mix: str = "uniform", generator: torch.Generator | None = None
) -> Tensor:
    """``n`` interpolation weights ε, one per sample, shaped to broadcast over a batch like
    ``like`` (``n × 1 × 1 …``), on its device and in its dtype (see :func:`gradient_penalty`)."""
    if mix not in MIX_DISTRIBUTIONS:
        raise ValueError(f"mix must be one of {MIX_DISTRIBUTIONS}, got {mix!r}")
    shape = (n,) + (1,) * (like.dim() - 1)
    # Draw on the generator's own device (torch refuses a CUDA generator for a CPU tensor and
    # vice versa), then move; this keeps a CPU generator usable with CUDA batches.
    rng_device = generator.device if generator is not None else like.device
    draw = torch.rand if mix == "uniform" else torch.randn
    eps = draw(shape, generator=generator, device=rng_device, dtype=like.dtype)
    return eps.to(like.device)


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    weight_generator: torch.Generator | None = None,
    mix: str = "uniform",
    weights: Tensor | None = None,
) -> Tensor:
    r"""Two-sided gradient penalty of WGAN-GP, unweighted.

    For each sample :math:`i` an interpolation weight :math:`\epsilon_i \sim U(0, 1)` is
    drawn and

    .. math::

        \hat x_i = \epsilon_i x_i + (1 - \epsilon_i)\,\tilde x_i, \qquad
        GP = \frac{1}{B}\sum_{i=1}^{B}\big(\lVert \nabla_{\hat x} C(\hat x)_i \rVert_2 - 1\big)^2

    where :math:`x` is real, :math:`\tilde x = G(z)` is fake, and the norm runs over all
    non-batch dimensions. Because the critic scores samples independently,
    :math:`\nabla_{\hat x}\sum_j C(\hat x_j)` has :math:`\nabla_{\hat x_i} C(\hat x_i)` as its
    :math:`i`-th row, so one backward pass gives every per-sample gradient. The graph is kept
    (``create_graph=True``) so the penalty can itself be differentiated w.r.t. the critic's
    parameters. The caller multiplies the result by λ (10 in the paper).

    Known bugs of widely copied implementations, which this function avoids:

    * drawing a single ε for the whole batch: every :math:`\hat x_i` then lies at the same
      fraction of its real–fake segment, so the penalty samples a much thinner region;
    * drawing ε from :math:`N(0, 1)` instead of :math:`U(0, 1)`: the points fall outside the
      segment between real and fake (often far outside), where the paper's argument for
      unit gradient norm does not apply. ``mix="normal"`` reproduces this quirk on purpose,
      for a preset that replays the classic code; do not use it otherwise.

    Args:
        critic: maps a batch ``B × ...`` to scores of shape ``B`` or ``B × 1``. Must not mix
            information across the batch (no batch norm in training mode), or the per-sample
            gradients above are no longer per sample.
        real: real batch, shape ``B × ...`` with rank ≥ 2.
        fake: generated batch, same shape as ``real``; detached here.
        weight_generator: optional RNG for ε, for reproducible penalties.
        mix: ``"uniform"`` (correct) or ``"normal"`` (the classic bug).
        weights: the ε to use, from :func:`mix_weights` (e.g. a data-parallel process's
            slice of the global batch's); drawn here when None.

    Returns:
        Scalar tensor, differentiable w.r.t. the critic's parameters.
    """
    _check_penalty_inputs(real, fake, mix)

    # One ε per sample, broadcast over every non-batch dimension whatever the rank.
    eps = mix_weights(real.shape[0], real, mix, weight_generator) if weights is None else weights

    # Both endpoints are detached: the penalty regularises the critic only, and x̂ must be a
    # leaf so that autograd.grad can differentiate w.r.t. it.
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grads,) = torch.autograd.grad(outputs=scores.sum(), inputs=x_hat, create_graph=True)
    norms = torch.linalg.vector_norm(grads.flatten(1), ord=2, dim=1)
    return ((norms - 1) ** 2).mean()


def _check_penalty_inputs(real: Tensor, fake: Tensor, mix: str) -> None:
    """Refuse what :func:`gradient_penalty` cannot take: an unknown ``mix``, a ``real`` batch
    without a batch dimension and more, or ``real`` and ``fake`` of different shapes."""
    if mix not in MIX_DISTRIBUTIONS:
        raise ValueError(f"mix must be one of {MIX_DISTRIBUTIONS}, got {mix!r}")
    if real.dim() < 2:
        raise ValueError(f"real must have rank >= 2 (batch first), got shape {tuple(real.shape)}")
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {tuple(real.shape)} "
            f"and {tuple(fake.shape)}"
        )


def r1_penalty(real: Tensor, real_scores: Tensor) -> Tensor:
    r"""R1 penalty (Mescheder et al. 2018): the squared gradient norm of D on real data.

    .. math::

        R_1 = \frac{1}{B}\sum_{i=1}^{B}\big\lVert \nabla_{x_i} D(x_i) \big\rVert_2^2

    where :math:`x_i` are real images and :math:`D(x_i)` D's logits for them (the norm runs
    over all non-batch dimensions). Penalising D's slope on the data keeps D from carving
    steep walls around the real images that G's gradients cannot climb; near the Nash
    equilibrium it makes GAN training locally convergent. The caller adds
    :math:`\frac{\gamma}{2} R_1` to D's loss.

    ``real_scores`` must come from a forward of ``real`` made after ``real.requires_grad_()``,
    so that this reuses that forward instead of running D again. The graph is kept
    (``create_graph=True``) so the penalty can be differentiated w.r.t. D's parameters. A D
    that mixes the batch (batch norm in training mode, minibatch std) makes each row of
    :math:`\nabla_x \sum_j D(x_j)` depend on the other samples too; that sum's gradient is
    then what is penalised.

    Args:
        real: the real batch, ``B × ...``, with ``requires_grad`` set before D's forward.
        real_scores: D's logits for it, shape ``B`` or ``B × 1``.

    Returns:
        Scalar tensor, differentiable w.r.t. D's parameters.
    """
    if not real.requires_grad:
        raise ValueError("real must have requires_grad set before D's forward (see r1_penalty)")
    (grads,) = torch.autograd.grad(outputs=real_scores.sum(), inputs=real, create_graph=True)
    return grads.flatten(1).pow(2).sum(1).mean()
