"""The augmentation operations as pure, differentiable functions of a batch ``N×C×H×W`` and
one parameter per image (already drawn; a parameter's identity value leaves its image as it
is), so that gradients reach both D's weights and, through the images, G.

Pixels that an operation uncovers (a shift, a zoom out, a turn, the cut-out square) take
``fill``, the data range's background (black: -1 or 0), never a gray that no digit has.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor


def translate(x: Tensor, dx: Tensor, dy: Tensor, fill: float) -> Tensor:
    """Each image moved by whole pixels, ``dx[i]`` right and ``dy[i]`` down (integers, any
    sign); a pure gather, so the moved pixels are exactly the input's."""
    n, _, h, w = x.shape
    rows = torch.arange(h, device=x.device).unsqueeze(0) - dy.long().unsqueeze(1)  # N × H
    cols = torch.arange(w, device=x.device).unsqueeze(0) - dx.long().unsqueeze(1)  # N × W
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    index = torch.arange(n, device=x.device)[:, None, None]
    moved = x[index, :, rows.clamp(0, h - 1)[:, :, None], cols.clamp(0, w - 1)[:, None, :]]
    # N × H × W × C back to N × C × H × W; what came from outside the image is ``fill``.
    return torch.where(inside.unsqueeze(1), moved.permute(0, 3, 1, 2), fill)


def scale_rotate(x: Tensor, zoom: Tensor, angle: Tensor, fill: float) -> Tensor:
    """Each image zoomed by ``zoom[i]`` (2: twice as large) and turned by ``angle[i]``
    radians (counter-clockwise as shown) about its centre, by bilinear sampling in float32 or
    wider whatever ``x``'s precision and autocast (bf16 fakes are moved as exactly as float32
    reals; autocast would make the grid's matrix product bf16)."""
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    zero = torch.zeros_like(cos)
    # Output pixel → input pixel in grid_sample's coordinates (x right, y down).
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    work = torch.promote_types(x.dtype, torch.float32)  # float32 at least
    with torch.autocast(x.device.type, enabled=False):
        grid = F.affine_grid(theta.to(work), list(x.shape), align_corners=False)
        # Zero padding about the background: what falls outside the image is ``fill``.
        moved = F.grid_sample(x.to(work) - fill, grid, mode="bilinear", align_corners=False)
    return (moved + fill).to(x.dtype)


@functools.cache
def resampling_twice_differentiable() -> bool:
    """Whether this torch differentiates :func:`scale_rotate`'s ``grid_sample`` twice, as R1
    and WGAN-GP's penalty need through the augmentation: torch releases before PyTorch PR
    177487 (April 2026, issue 34704) raise "derivative for grid_sampler_2d_backward is not
    implemented" there. A probe on a 2×2 image, run once, with gradients on whatever the
    caller's mode."""
    with torch.enable_grad():
        x = torch.zeros(1, 1, 2, 2, requires_grad=True)
        w = torch.ones((), requires_grad=True)
        y = (w * F.grid_sample(x, torch.zeros(1, 1, 1, 2), align_corners=False)).sum()
        (grad,) = torch.autograd.grad(y, x, create_graph=True)
        try:
            torch.autograd.grad(grad.sum(), w)
        except RuntimeError:
            return False
        return True


def brightness(x: Tensor, offset: Tensor) -> Tensor:
    """``offset[i]`` added to every pixel of image ``i``."""
    return x + offset.to(x.dtype).view(-1, 1, 1, 1)


def contrast(x: Tensor, factor: Tensor) -> Tensor:
    """Image ``i``'s pixels scaled by ``factor[i]`` about the image's mean."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * factor.to(x.dtype).view(-1, 1, 1, 1) + mean


def cutout(x: Tensor, cx: Tensor, cy: Tensor, side: Tensor, fill: float) -> Tensor:
    """A square of ``side[i]`` pixels centred on pixel (``cx[i]``, ``cy[i]``) of image ``i``
    set to ``fill`` (clipped at the image's edges; a side of 0 cuts nothing)."""
    _, _, h, w = x.shape
    side = side.long()
    left, top = cx.long() - side // 2, cy.long() - side // 2
    cols = torch.arange(w, device=x.device).unsqueeze(0)
    rows = torch.arange(h, device=x.device).unsqueeze(0)
    in_x = (cols >= left[:, None]) & (cols < (left + side)[:, None])  # N × W
    in_y = (rows >= top[:, None]) & (rows < (top + side)[:, None])  # N × H
    cut = (in_y[:, :, None] & in_x[:, None, :]).unsqueeze(1)  # N × 1 × H × W
    return torch.where(cut, torch.full_like(x, fill), x)
