"""ADA's controller: the probability p with which each augmentation is applied, moved every
few steps towards the point where D is as sure of the real images as ``target`` says. It is
Karras et al.'s (2020, "Training generative adversarial networks with limited data").

Over each interval it sums sign(D(x)) over the real images D judged (the real logit for the
BCE family, the real-minus-fake logit for the pair head, the adversarial head for AC-GAN; for
WGAN's critic, whose level is arbitrary, the real score minus its pair's fake score), then

    r_t = E[sign(D(x))],   p ← clamp(p + sign(r_t − target) · images / speed, 0, 1)

where ``images`` are the real images of the interval, so p can go from 0 to 1 in ``speed``
images. An overfitting D is sure of every real image (r_t → 1): p rises and D sees more
augmented images. Everything stays on the device (no host sync). Under data-parallel
training each step's sums are added over the processes (one all-reduce of two numbers a
step), so every process holds the same sums and p between steps, and the checkpoint that one
process writes is the state of all of them, whatever step of an interval it is written at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor, nn


def ada_adjust(p: Tensor, r_t: Tensor, images: Tensor, target: float, speed: float) -> Tensor:
    """The new p: ``p`` moved by ``images / speed`` up if ``r_t`` > ``target``, down if below
    (unchanged if equal), kept in [0, 1]."""
    return (p + torch.sign(r_t - target) * images / speed).clamp(0.0, 1.0)


class AdaController(nn.Module):
    """ADA's state as buffers (saved in checkpoints as ``augment``, see
    :func:`~ganforge.rundir.checkpoint.recipe_modules`): ``p``, the last interval's ``r_t``
    and the current interval's sums ``acc`` = (Σ sign, images) over all processes; and the
    current step's sums ``pending``, this process's, not saved (zero between steps). No
    parameters."""

    # The range of each buffer's values, which a checkpoint's must keep (NaN is out of all).
    STATE_RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "p": (0.0, 1.0),
        "r_t": (-1.0, 1.0),
        "acc": (-(2.0**24), 2.0**24),
    }

    def __init__(self, target: float, speed: int, interval: int) -> None:
        super().__init__()
        self.target, self.speed, self.interval = target, speed, interval
        self.register_buffer("p", torch.zeros(()))
        self.register_buffer("r_t", torch.zeros(()))
        # float32, exact to 2**24 images an interval (float64: not on every device).
        self.register_buffer("acc", torch.zeros(2))
        self.register_buffer("pending", torch.zeros(2), persistent=False)

    def _load_from_state_dict(self, *args, **kwargs) -> None:  # a resume, or a rollback
        super()._load_from_state_dict(*args, **kwargs)
        self.pending = torch.zeros_like(self.pending)  # a step cut short is redone whole

    def observe(self, real_scores: Tensor) -> None:
        """Add D's scores of one batch of real images (one per image, or ``N × 1``) to the
        step's sums."""
        scores = real_scores.detach().reshape(real_scores.shape[0], -1)[:, 0]
        signs = torch.sign(scores.float()).sum()
        self.pending.add_(torch.stack([signs, torch.full_like(signs, scores.numel())]))

    def after_step(self, step: int, reduce: Callable[[Tensor], Tensor] | None = None) -> None:
        """At the end of step ``step`` (0-based): the step's sums (``reduce``: adds them over
        the processes) added to the interval's; if the step closes an interval, r_t and p
        from those, and new sums."""
        # ``pending`` is replaced below, so an in-place reduce of it is harmless.
        self.acc = self.acc + (reduce(self.pending) if reduce is not None else self.pending)
        self.pending = torch.zeros_like(self.pending)
        if (step + 1) % self.interval:
            return
        signs, seen = self.acc
        r_t = (signs / seen.clamp(min=1)).to(self.r_t)
        p = ada_adjust(self.p, r_t, seen.to(self.p), self.target, self.speed)
        # New tensors, not in-place updates: a step's statistics keep the p it used.
        self.r_t = torch.where(seen > 0, r_t, self.r_t)
        self.p = torch.where(seen > 0, p, self.p)
        self.acc = torch.zeros_like(self.acc)
