"""The task an evaluator learns on unlabelled data: which of four rotations (0°, 90°, 180°,
270°) an image was given (Gidaris, Singh and Komodakis, "Unsupervised Representation Learning
by Predicting Image Rotations", ICLR 2018).

Telling a digit, a letter or a garment turned by a quarter from one upright needs the network
to recognise the shape and its usual orientation, so its penultimate features describe the
shapes of the data; blur, noise and a collapse onto a few kinds of image move them, which is
what FID, KID, precision/recall and density/coverage then measure. The labels are the
rotations themselves, so no class is needed; shapes that look alike turned by half a turn
(an "o", a "0", an "8", an "x") cap the task's accuracy below 100 %.
"""

from __future__ import annotations

import torch
from torch import Tensor

ROTATIONS = 4  # quarter turns: the task's classes


def rotate(images: Tensor, turns: Tensor) -> Tensor:
    """Each of the images (N×H×W, square) turned counter-clockwise by ``turns[i]`` quarter
    turns (0..3)."""
    out = images.clone()
    for k in range(1, ROTATIONS):
        chosen = turns == k
        if bool(chosen.any()):
            out[chosen] = torch.rot90(images[chosen], k, dims=(-2, -1))
    return out


def random_rotations(images: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """The images each turned by a random number of quarter turns, and those numbers (the
    targets of the task)."""
    turns = torch.randint(0, ROTATIONS, (images.shape[0],), generator=generator)
    return rotate(images, turns), turns


def every_rotation(images: Tensor) -> tuple[Tensor, Tensor]:
    """Every image at each of the four rotations (4N images) and the turns of each, for
    measuring the task's accuracy without chance in which rotations were drawn."""
    n = images.shape[0]
    turns = torch.arange(ROTATIONS).repeat_interleave(n)
    return rotate(images.repeat(ROTATIONS, 1, 1), turns), turns
