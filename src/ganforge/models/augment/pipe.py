"""The augmentation pipe: a policy's operations (:mod:`.ops`) applied in one fixed order to a
batch, their per-image parameters made from one row of uniform numbers per image, each
operation applied to each image with probability p (1 for DiffAugment, ADA's p for ADA).

The uniforms are drawn for the batch in one call (through the recipe's
:meth:`~ganforge.models.base.Recipe.per_sample_draw`, so that data-parallel processes take
their slices of the global batch's draws), and each column has one use, whatever p is, so
the stream of random numbers does not depend on p. With p = 1 (DiffAugment) every operation
runs on the whole batch. Otherwise (ADA), on the CPU each operation runs on the images it is
applied to only (the others pass through untouched), so ADA's pipe costs little while p is
small; on a GPU, where finding those images would read their count back to the host once a
stage, each operation runs on the whole batch (the images it skips at the identity) and
``torch.where`` keeps the others as they were: no host sync.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

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


# The pipe's stages in order: scale and rotation share one resampling.
STAGES = (("translation",), ("scale", "rotation"), ("brightness",), ("contrast",), ("cutout",))


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
        u = u.to(x.device).float()
        params = self.parameters_of(u, p, x.shape[-2], x.shape[-1])
        applied = {op: u[:, i] < p for op, i in self.decisions().items()}
        every = not isinstance(p, Tensor) and p >= 1  # every image: no rows to find
        for stage in STAGES:
            present = [op for op in stage if op in params]
            if not present:
                continue
            if every:
                x = self.apply(stage, x, params, slice(None))
                continue
            rows = torch.stack([applied[op] for op in present]).any(0)
            x = _on_rows(
                x,
                rows,
                lambda y, at, s=stage: self.apply(s, y, params, at),
                lookup=x.device.type == "cpu",
            )
        return x

    def decisions(self) -> dict[str, int]:
        """Each operation's column of uniforms that decides whether it is applied."""
        columns, column = {}, 0
        for op in self.policy:
            columns[op] = column
            column += 1 + PARAMETERS[op]
        return columns

    def apply(
        self, stage: tuple[str, ...], x: Tensor, params: dict[str, tuple[Tensor, ...]], at: Any
    ) -> Tensor:
        """One stage of the pipe on the images ``x``, with the parameters of rows ``at``."""
        got = {op: tuple(t[at] for t in params[op]) for op in stage if op in params}
        if "translation" in got:
            return ops.translate(x, *got["translation"], self.fill)
        if "brightness" in got:
            return ops.brightness(x, *got["brightness"])
        if "contrast" in got:
            return ops.contrast(x, *got["contrast"])
        if "cutout" in got:
            return ops.cutout(x, *got["cutout"], self.fill)
        ones = torch.ones(x.shape[0], device=x.device)  # scale and rotation: one resampling
        zoom = got["scale"][0] if "scale" in got else ones
        angle = got["rotation"][0] if "rotation" in got else ones - 1
        return ops.scale_rotate(x, zoom, angle, self.fill)

    def parameters_of(
        self, u: Tensor, p: Tensor | float, height: int, width: int
    ) -> dict[str, tuple[Tensor, ...]]:
        """Each operation's per-image parameters (the arguments of its function in
        :mod:`.ops`) from the uniforms ``u``, for images of ``height × width``; an image that
        the operation skips (its first column ≥ ``p``) gets the identity."""
        out: dict[str, tuple[Tensor, ...]] = {}
        for op, column in self.decisions().items():
            on = (u[:, column] < p).float()
            a = u[:, column + 1 : column + 1 + PARAMETERS[op]]
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


def _on_rows(
    x: Tensor, rows: Tensor, fn: Callable[[Tensor, Any], Tensor], lookup: bool = True
) -> Tensor:
    """``fn`` applied to the images of ``x`` that ``rows`` (a boolean per image) selects, the
    others left as they are; ``fn(images, at)`` gets them and their rows' index ``at``. With
    ``lookup`` off, ``fn`` gets every image (the parameters of those not selected must be the
    identity's) and no count is read back from the device."""
    if not lookup:
        keep = rows.view(-1, *[1] * (x.dim() - 1))
        return torch.where(keep, fn(x, slice(None)).to(x.dtype), x)
    at = rows.nonzero().squeeze(1)
    if at.numel() == x.shape[0]:
        return fn(x, slice(None))
    if at.numel() == 0:
        return x
    return x.index_copy(0, at, fn(x.index_select(0, at), at).to(x.dtype))


def _signed(u: Tensor) -> Tensor:
    """A uniform in [0, 1) as one in [-1, 1)."""
    return 2 * u - 1
