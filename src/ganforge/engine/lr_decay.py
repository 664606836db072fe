"""Linear learning-rate decay over the end of a run (``train.lr_decay_from``).

Both optimizers keep their configured (peak) rate until the run is ``lr_decay_from`` done,
then fall linearly to 0 at its end, as in the linear decay of CycleGAN and of many long GAN
runs: large steps while G has much to learn, small ones to settle where it has got to.

The peak rate lives in each parameter group (``group["peak_lr"]``) beside the rate in use,
so it is saved with the optimizer's state in every checkpoint, a resumed run decays from
the same peak, and a divergence rollback, which halves the rates, halves the peak. A run
resumed with the decay switched off goes back to the peak (:func:`end_lr_decay`).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

PEAK_LR = "peak_lr"


def decay_factor(progress: float, decay_from: float) -> float:
    """The share of the peak rate in use when the run is ``progress`` done (0 to 1).

    .. math:: f(p) = \\min\\left(1, \\frac{1 - p}{1 - p_0}\\right)

    with :math:`p_0` = ``decay_from``: 1 up to :math:`p_0`, then linear to 0 at :math:`p = 1`.
    ``decay_from`` 1 (or more) keeps the rate constant.
    """
    if decay_from >= 1.0:
        return 1.0
    return max(0.0, min(1.0, (1.0 - progress) / (1.0 - decay_from)))


def apply_lr_decay(
    optimizers: Iterable[torch.optim.Optimizer], progress: float, decay_from: float
) -> None:
    """Set every parameter group's rate to its peak × :func:`decay_factor`; the first call
    takes the group's current rate as its peak."""
    factor = decay_factor(progress, decay_from)
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = group.setdefault(PEAK_LR, group["lr"]) * factor


def end_lr_decay(optimizers: Iterable[torch.optim.Optimizer]) -> None:
    """Back to constant rates: each group that a decay scaled runs at its peak again, and
    keeps no peak (for a run resumed from a decayed checkpoint with ``lr_decay_from`` 1)."""
    for opt in optimizers:
        for group in opt.param_groups:
            if PEAK_LR in group:
                group["lr"] = group.pop(PEAK_LR)
