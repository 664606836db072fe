"""Drawing digits for a request: a grid, an interpolation strip and its GIF, as bytes.

Sampling, labels, latents and the pictures themselves are ``ganforge sample`` and
``ganforge interpolate``'s (:mod:`ganforge.generation`, :mod:`ganforge.figures.images`);
this only turns them into PNG and GIF bytes, on the CPU, under ``torch.inference_mode``.
"""

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path

import torch

# grid_image imports torchvision on first use (~2 s); imported here, the first request of
# the studio does not pay for it.
import torchvision.utils  # noqa: F401
from PIL import Image
from torch import Tensor

from ganforge.figures.images import grid_image, save_gif
from ganforge.generation import (
    TrainedModel,
    class_interpolation,
    interpolation_latents,
    sample_labels,
)

GIF_FRAME_MS = 120  # as `ganforge interpolate`'s GIF
# Most classes drawn a column each; the page shows a grid at most 480 pixels wide: 16
# columns of 30 pixels, each image drawn at its size.
CLASS_COLUMNS = 16


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def grid_columns(n: int, classes: int | None) -> int:
    """Columns of a grid of ``n``: one per class when every class is drawn (column = class,
    as ``ganforge sample`` lays them out) and there are at most :data:`CLASS_COLUMNS`
    classes, else a square-ish grid (with more classes, the classes in turn in reading
    order: a column each would shrink the page's grid until its images cannot be seen)."""
    if classes is not None and classes <= CLASS_COLUMNS:
        return min(n, classes)
    return max(1, math.ceil(math.sqrt(n)))


def generate_grid(
    model: TrainedModel, seed: int, n: int, cls: int | None, square: bool = False
) -> tuple[bytes, Tensor]:
    """A PNG grid of ``n`` images from latent ``seed`` (class ``cls``, or every class in
    turn for a conditional recipe when None), and the labels drawn (empty if none). Every
    class is laid out a column each, its name over it, unless ``square`` (grids of several
    runs side by side); a grid of one class is titled with its name."""
    labels = sample_labels(model, n, cls)
    with torch.inference_mode():
        images = model.recipe.sample_images(model.latents(seed, n), labels)
    every_class = labels is not None and cls is None and not square
    columns = grid_columns(n, model.recipe.num_classes if every_class else None)
    image = grid_image(images, columns, model.transform.bounds, None, labels, model.class_names)
    drawn = labels if labels is not None else torch.empty(0, dtype=torch.long)
    return png_bytes(image), drawn


def interpolation_images(
    model: TrainedModel,
    seed_from: int,
    seed_to: int,
    steps: int,
    cls: int | None,
    class_to: int | None,
) -> Tensor:
    """``steps`` images between two seeds (conditional: of class ``cls``, 0 by default), or,
    with ``class_to``, of latent ``seed_from`` between classes ``cls`` and ``class_to``."""
    with torch.inference_mode():
        if class_to is not None:
            return class_interpolation(model, seed_from, cls or 0, class_to, steps)
        if model.conditional and cls is None:
            cls = 0  # as `ganforge interpolate`: one class held fixed along the path
        z = interpolation_latents(model, seed_from, seed_to, steps)
        return model.recipe.sample_images(z, sample_labels(model, steps, cls))


def strip_png(model: TrainedModel, images: Tensor) -> bytes:
    """The interpolation as one row of images."""
    return png_bytes(grid_image(images, images.shape[0], model.transform.bounds))


def gif_bytes(model: TrainedModel, images: Tensor) -> bytes:
    """The interpolation as a looping GIF, there and back again (no jump when it loops)."""
    frames = [grid_image(images[i : i + 1], 1, model.transform.bounds) for i in range(len(images))]
    frames = frames + frames[-2:0:-1]
    with tempfile.TemporaryDirectory(prefix="ganforge-studio-") as folder:
        path = save_gif(
            frames, Path(folder) / "path.gif", duration_ms=GIF_FRAME_MS, final_hold_ms=GIF_FRAME_MS
        )
        return path.read_bytes()
