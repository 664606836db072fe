"""Functions over a network's weights that recipes share: Radford et al.'s initialisation
(:func:`dcgan_init`), and :func:`frozen`, which stops a network's weights from collecting
gradients (D's during the G step)."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn


def dcgan_init(module: nn.Module) -> None:
    """Radford et al.'s initialisation: conv weights N(0, 0.02), batch-norm scale N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def frozen(module: nn.Module) -> Callable[[], None]:
    """Stop ``module``'s parameters from collecting gradients; returns the undo function.

    Used around the G step: D's weights need no gradient there, which saves D's weight-gradient
    work (and keeps the classic "D frozen during the G step" semantics explicit).
    """
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)

    def undo() -> None:
        for p in params:
            p.requires_grad_(True)

    return undo
