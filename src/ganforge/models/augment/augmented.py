"""A recipe's augmentation (:class:`Augmentation`): the pipe, ADA's controller and the draw
of the pipe's uniforms; and :class:`AugmentedD`, D behind the pipe, the module through which
a recipe runs D in its D step, its G step and its penalties when ``model.augment`` is on.

Wrapping D (or D's data-parallel wrapper) rather than the images at each call site means
every image D sees is augmented, real and fake, and a penalty's gradient w.r.t. the images
it is given (R1's real leaf, WGAN-GP's mixed images) is taken through the augmentation, as
StyleGAN2-ADA takes it. Sampling and evaluation run G alone and never see it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config.augment import augment_policy
from ganforge.models.augment.ada import AdaController
from ganforge.models.augment.pipe import AugmentPipe

Draw = Callable[[Callable[[int], Tensor], int], Tensor]  # Recipe.per_sample_draw


class Augmentation:
    """The augmentation of a recipe's D inputs as ``cfg`` configures it; ``draw`` is the
    recipe's :meth:`~ganforge.models.base.Recipe.per_sample_draw`. Build it with
    :meth:`for_config`, which gives None when ``model.augment`` is "none"."""

    def __init__(self, cfg: Any, draw: Draw) -> None:
        policy = augment_policy(cfg)
        strengths = {op: float(getattr(cfg, f"augment_{op}")) for op in policy}
        self.pipe = AugmentPipe(policy, strengths, cfg.data_range)
        self.ada = (
            AdaController(cfg.ada_target, cfg.ada_speed, cfg.ada_interval)
            if cfg.augment == "ada"
            else None
        )
        self.draw = draw

    @classmethod
    def for_config(cls, cfg: Any, draw: Draw) -> Augmentation | None:
        return None if cfg.augment == "none" else cls(cfg, draw)

    @property
    def p(self) -> Tensor | float:
        """The probability of each operation on each image: ADA's p, or 1."""
        return self.ada.p if self.ada is not None else 1.0

    def __call__(self, x: Tensor) -> Tensor:
        """The batch ``x`` augmented, its uniforms this process's slice of the global
        batch's draw."""
        u = self.draw(lambda m: self.pipe.draw(m, x.device), x.shape[0])
        return self.pipe(x, u, self.p)

    def wrap(self, net: nn.Module) -> AugmentedD:
        """``net`` (D, or its data-parallel wrapper) behind the pipe."""
        return AugmentedD(net, self)

    def observe(self, real_scores: Tensor) -> dict[str, Tensor]:
        """Give ADA D's scores of a real batch; the statistics to log (ADA's ``ada_p`` and
        the last interval's ``ada_rt``; none for DiffAugment)."""
        if self.ada is None:
            return {}
        self.ada.observe(real_scores)
        return {"ada_p": self.ada.p, "ada_rt": self.ada.r_t}

    def after_step(self, step: int, world_size: int) -> None:
        """ADA's adjustment at the end of step ``step``; the sums added over the
        ``world_size`` data-parallel processes first."""
        if self.ada is not None:
            self.ada.after_step(step, _all_sum if world_size > 1 else None)

    def to(self, device: torch.device | str) -> None:
        if self.ada is not None:
            self.ada.to(device)


def _all_sum(t: Tensor) -> Tensor:
    """``t`` added over the data-parallel processes."""
    torch.distributed.all_reduce(t)
    return t


class AugmentedD(nn.Module):
    """D behind the augmentation pipe: its first argument (the images) augmented, the rest
    (labels, if D takes them) passed on. It holds no parameters or buffers of its own, and
    checkpoints save D itself, so D's state dict is the same with augmentation or without."""

    def __init__(self, net: nn.Module, augmentation: Augmentation) -> None:
        super().__init__()
        self.net = net
        self.augmentation = augmentation  # a plain object: not a submodule

    def forward(self, x: Tensor, *args: Any, **kwargs: Any) -> Any:
        return self.net(self.augmentation(x), *args, **kwargs)
