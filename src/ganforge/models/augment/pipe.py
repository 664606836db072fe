"""The augmentation pipe: a policy's operations (:mod:`.ops`) applied in one fixed order to a
batch, their per-image parameters made from one row of uniform numbers per image, each
operation applied to each image with probability p (1 for DiffAugment, ADA's p for ADA).

The uniforms are drawn for the batch in one call (through the recipe's
:meth:`~ganforge.models.base.Recipe.per_sample_draw`, so that data-parallel processes take
their slices of the global batch's draws), and each column has one use: an operation not
applied to an image gets its identity parameter, so the pipe's cost does not depend on p.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ganforge.config.augment import AUGMENT_OPS
from ganforge.models.augment import ops

# Uniform numbers each operation takes per image, after the one that decides whether it is
# applied: a shift (x, y), a zoom, an angle, an offset, a factor, a centre (x, y).
PARAMETERS = {
    "translation": 2,
    "scale": 1,
    "rotation": 1,
    "brightness": 1,
    "contrast": 1,
    "cutout": 2,
}


class AugmentPipe(nn.Module):
    """``policy``'s operations at ``strengths`` (``augment_<op>``, see
    :mod:`ganforge.config.augment`) on images of ``data_range`` ("-1,1" or "0,1"): black is
    its low end, and brightness offsets are fractions of its width. No parameters."""

    def __init__(self, policy: Sequence[str], strengths: dict[str, float], data_range: str) -> None:
        super().__init__()
        self.policy = tuple(op for op in AUGMENT_OPS if op in policy)
        self.strengths = dict(strengths)
        low, high = (float(v) for v in data_range.split(","))
        self.fill, self.span = low, high - low
        self.columns = sum(1 + PARAMETERS[op] for op in self.policy)

    def draw(self, n: int, device: torch.device) -> Tensor:
        """``n`` rows of uniform numbers in [0, 1), one row per image, from torch's stream."""
        return torch.rand(n, self.columns, device=device)

    def forward(self, x: Tensor, u: Tensor, p: Tensor | float = 1.0) -> Tensor:
        """``x`` augmented with the parameters that the uniforms ``u`` (``N × columns``)
        give, each operation on each image with probability ``p``."""
        params = self.parameters_of(u.to(x.device).float(), p, x.shape[-2], x.shape[-1])
        if "translation" in params:
            x = ops.translate(x, *params["translation"], self.fill)
        if "scale" in params or "rotation" in params:
            ones = torch.ones(x.shape[0], device=x.device)
            zoom = params["scale"][0] if "scale" in params else ones
            angle = params["rotation"][0] if "rotation" in params else ones - 1
            x = ops.scale_rotate(x, zoom, angle, self.fill)
        if "brightness" in params:
            x = ops.brightness(x, *params["brightness"])
        if "contrast" in params:
            x = ops.contrast(x, *params["contrast"])
        if "cutout" in params:
            x = ops.cutout(x, *params["cutout"], self.fill)
        return x

    def parameters_of(
        self, u: Tensor, p: Tensor | float, height: int, width: int
    ) -> dict[str, tuple[Tensor, ...]]:
        """Each operation's per-image parameters (the arguments of its function in
        :mod:`.ops`) from the uniforms ``u``, for images of ``height × width``; an image that
        the operation skips (its first column ≥ ``p``) gets the identity."""
        out: dict[str, tuple[Tensor, ...]] = {}
        column = 0
        for op in self.policy:
            on = (u[:, column] < p).float()
            a = u[:, column + 1 : column + 1 + PARAMETERS[op]]
            column += 1 + PARAMETERS[op]
            s = self.strengths[op]
            if op == "translation":  # whole pixels in -m..m, m = strength × side, rounded
                mx, my = int(s * width + 0.5), int(s * height + 0.5)
                dx = (torch.floor(a[:, 0] * (2 * mx + 1)) - mx).clamp(-mx, mx)
                dy = (torch.floor(a[:, 1] * (2 * my + 1)) - my).clamp(-my, my)
                out[op] = (dx * on, dy * on)
            elif op == "scale":  # 2 ** U(-s, s)
                out[op] = (torch.exp2(_signed(a[:, 0]) * s * on),)
            elif op == "rotation":  # U(-s, s) degrees
                out[op] = (_signed(a[:, 0]) * math.radians(s) * on,)
            elif op == "brightness":  # U(-s, s) of the data range's width
                out[op] = (_signed(a[:, 0]) * s * self.span * on,)
            elif op == "contrast":  # U(1 - s, 1 + s)
                out[op] = (1 + _signed(a[:, 0]) * s * on,)
            else:  # cutout: a square of strength × side, centred on any pixel
                side = int(s * min(height, width) + 0.5)
                cx = torch.floor(a[:, 0] * width).clamp(max=width - 1)
                cy = torch.floor(a[:, 1] * height).clamp(max=height - 1)
                out[op] = (cx, cy, side * on)
        return out


def _signed(u: Tensor) -> Tensor:
    """A uniform in [0, 1) as one in [-1, 1)."""
    return 2 * u - 1
