"""An exponential moving average of G's weights, the generator that samples are drawn from.

Averaging the generator's weights over the last steps cancels much of the oscillation of
adversarial training (Yazıcı et al. 2019, "The Unusual Effectiveness of Averaging in GAN
Training"); it costs one in-place update per G step and no extra forward pass.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class GeneratorEMA:
    """Keeps ``θ_ema ← β_t·θ_ema + (1 − β_t)·θ`` after every G step.

    ``β_t = min(decay, (1 + t) / (10 + t))`` at step ``t``: early on the average forgets fast
    (the first weights are noise), later it settles at ``decay``. Buffers (batch-norm running
    statistics) are copied, not averaged: they describe the live generator's activations.
    """

    def __init__(self, generator: nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(generator).eval().requires_grad_(False)

    def beta(self, step: int) -> float:
        return min(self.decay, (1 + step) / (10 + step))

    @torch.no_grad()
    def update(self, generator: nn.Module, step: int) -> None:
        """Fold ``generator``'s current weights into the average (``step``: G steps done)."""
        ema_params = list(self.model.parameters())
        params = [p.detach() for p in generator.parameters()]
        torch._foreach_lerp_(ema_params, params, 1.0 - self.beta(step))
        for ema_buf, buf in zip(self.model.buffers(), generator.buffers(), strict=True):
            ema_buf.copy_(buf)
