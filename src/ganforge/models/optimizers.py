"""The optimizers a recipe can ask for, by name: Adam, SGD and Yogi.

Yogi (Zaheer et al. 2018) comes from ``pytorch_optimizer``, a maintained collection; the
five Keras models of the classic family train with it, so their presets need it exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from ganforge.config import OPTIMIZERS


def make_optimizer(
    name: str,
    params: Iterable[nn.Parameter],
    lr: float,
    betas: tuple[float, float],
    eps: float | None = None,
) -> torch.optim.Optimizer:
    """An optimizer over ``params``. ``betas`` and ``eps`` apply to Adam and Yogi (SGD is plain
    SGD, no momentum); ``eps=None`` keeps the optimizer's own default (Adam 1e-8, Yogi 1e-3,
    the value Keras' Yogi uses too).

    Adam and SGD use PyTorch's fused kernels on CPU and CUDA: one pass over each tensor
    instead of one per arithmetic operation, the same update to rounding. (At the MLP GAN's
    batch of 8 on a CPU, the for-loop Adam was about half the step in a profile.)"""
    params = list(params)
    fused = all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, fused=fused)
    extra = {} if eps is None else {"eps": eps}
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused, **extra)
    if name == "yogi":
        from pytorch_optimizer import Yogi  # imported on use: only the Keras presets need it

        return Yogi(params, lr=lr, betas=betas, **extra)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
