"""Image grids, strips and GIFs written as PNG/GIF files with Pillow.

Grids use 2-pixel mid-grey (128) separators: MNIST-like digits are white strokes on a black
background, so black padding would merge neighbouring cells and white padding would look like
strokes; grey keeps cells apart without being mistaken for either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ganforge.figures.labels import class_labels, draw_labels
from ganforge.figures.text import add_text_strip
from ganforge.rundir.atomic import atomic_path

__all__ = ["GRID_PADDING", "GRID_PAD_VALUE", "save_gif", "save_grid", "save_strip", "to_uint8"]

GRID_PADDING = 2
GRID_PAD_VALUE = 128


def to_uint8(images: Tensor, data_range: tuple[float, float]) -> Tensor:
    r"""Map float pixels in ``data_range = (lo, hi)`` to ``uint8``.

    .. math:: u = \operatorname{round}\big(\operatorname{clamp}(255 (x - lo)/(hi - lo), 0, 255)\big)

    so ``lo → 0`` and ``hi → 255``. Out-of-range values are clamped; NaN maps to 0 (a diverged
    generator should still produce a viewable, obviously black, image rather than garbage).
    Any shape is accepted; the result has the same shape, on the CPU.
    """
    lo, hi = float(data_range[0]), float(data_range[1])
    if not hi > lo:
        raise ValueError(f"data_range must be (lo, hi) with hi > lo, got {data_range}")
    x = images.detach().to(device="cpu", dtype=torch.float32)
    x = torch.nan_to_num(x, nan=lo, posinf=hi, neginf=lo)
    scaled = (x - lo) * (255.0 / (hi - lo))
    return scaled.clamp_(0.0, 255.0).round_().to(torch.uint8)


def _grid_array(images: Tensor, nrow: int, data_range: tuple[float, float]) -> np.ndarray:
    """Return the grid as an ``H×W`` (grey) or ``H×W×3`` (RGB) uint8 array."""
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be N×C×H×W with C in (1, 3), got {tuple(images.shape)}")
    if images.shape[0] == 0:
        raise ValueError("images is empty")
    if nrow < 1:
        raise ValueError(f"nrow must be >= 1, got {nrow}")
    # Imported here: torchvision adds ~2 s to `import ganforge.reporting` otherwise.
    from torchvision.utils import make_grid

    pixels = to_uint8(images, data_range)
    if pixels.shape[0] == 1:
        # make_grid returns a lone image without padding; pad it so geometry is uniform.
        grid = F.pad(pixels[0], (GRID_PADDING,) * 4, value=GRID_PAD_VALUE)
    else:
        grid = make_grid(pixels, nrow=nrow, padding=GRID_PADDING, pad_value=GRID_PAD_VALUE)
    if images.shape[1] == 1:
        # make_grid replicates one channel to three; keep grey images single-channel (mode L).
        return grid[0].numpy()
    return grid.permute(1, 2, 0).contiguous().numpy()


def _title_size(width: int) -> int:
    return max(10, min(20, width // 16))


def _write_png(image: Image.Image, path: Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return path


def save_grid(
    images: Tensor,
    path: Path,
    nrow: int,
    data_range: tuple[float, float] = (-1.0, 1.0),
    title: str | None = None,
    labels: Sequence[int] | Tensor | None = None,
    class_names: Sequence[str] | None = None,
) -> Path:
    """Write ``images`` (N×C×H×W float, C ∈ {1, 3}) as a PNG grid with ``nrow`` per row.

    Each cell is surrounded by ``GRID_PADDING`` pixels of grey, so the grid is
    ``ceil(N/nrow)·(H+2)+2`` by ``min(N, nrow)·(W+2)+2`` pixels. With ``labels`` (each image's
    class) and ``class_names``, a conditional grid's names are drawn beside its rows or over
    its columns (see :mod:`ganforge.figures.labels`); without, the grid is only the images.
    With ``title`` (or a grid of one class, its name), a black strip with the title in white
    is added on top. The file is replaced atomically.
    """
    grid = grid_image(images, nrow, data_range, title, labels, class_names)
    return _write_png(grid, path)


def grid_image(
    images: Tensor,
    nrow: int,
    data_range: tuple[float, float] = (-1.0, 1.0),
    title: str | None = None,
    labels: Sequence[int] | Tensor | None = None,
    class_names: Sequence[str] | None = None,
) -> Image.Image:
    """The grid :func:`save_grid` writes, as a Pillow image (e.g. a GIF frame)."""
    image = Image.fromarray(_grid_array(images, nrow, data_range))
    if labels is not None and class_names is not None:
        cells = labels.tolist() if isinstance(labels, Tensor) else labels
        placed = class_labels(cells, nrow, class_names)
        image = draw_labels(image, placed, (images.shape[3], images.shape[2]), GRID_PADDING)
        title = title or placed.title
    if title:
        image = add_text_strip(image, title, size=_title_size(image.width), where="top")
    return image


def save_strip(
    images: Tensor,
    path: Path,
    data_range: tuple[float, float] = (-1.0, 1.0),
    title: str | None = None,
) -> Path:
    """Write ``images`` as a single-row grid (e.g. a latent-space interpolation)."""
    return save_grid(images, path, nrow=max(1, images.shape[0]), data_range=data_range, title=title)


def _label_from_stem(stem: str) -> str:
    """``"epoch_003"`` → ``"epoch 3"``, ``"epoch_0002.50"`` → ``"epoch 2.5"``: separators
    become spaces, numbers lose leading and trailing zeros."""
    words = [w for w in re.split(r"[_\-\s]+", stem) if w]
    return " ".join(f"{float(w):g}" if re.fullmatch(r"\d+(\.\d+)?", w) else w for w in words)


def _pad_to(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    canvas = Image.new(image.mode, size, 0)
    canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return canvas


def _pad_all(images: list[Image.Image]) -> list[Image.Image]:
    size = (max(i.width for i in images), max(i.height for i in images))
    return [_pad_to(i, size) for i in images]


def save_gif(
    frames: Sequence[Path | Image.Image],
    path: Path,
    duration_ms: int = 400,
    final_hold_ms: int = 1500,
    label: bool = True,
) -> Path:
    """Assemble image files into a looping GIF (``loop=0``), holding the last frame longer.

    Frames of different sizes are centred on a black canvas of the largest size. With
    ``label`` each frame gets a small strip underneath with its file stem made readable
    (``epoch_003.png`` → "epoch 3"); frames given as Pillow images are not labelled. Grey
    inputs give a grey GIF, anything else RGB (Pillow quantises each frame to a palette).
    Note that Pillow merges consecutive frames that are pixel-identical, summing their
    durations; labels keep epoch frames distinct.
    """
    if not frames:
        raise ValueError("save_gif needs at least one frame")
    if duration_ms <= 0 or final_hold_ms <= 0:
        raise ValueError("durations must be positive")
    loaded: list[Image.Image] = []
    for frame in frames:
        if isinstance(frame, Image.Image):
            loaded.append(frame)
            continue
        with Image.open(frame) as im:
            im.load()
            loaded.append(im.copy())
    mode = "L" if all(im.mode in ("L", "1") for im in loaded) else "RGB"
    images = _pad_all([im.convert(mode) for im in loaded])
    if label:
        size = max(9, min(14, images[0].width // 24))
        images = [
            add_text_strip(im, _label_from_stem(Path(f).stem), size=size, where="bottom")
            if not isinstance(f, Image.Image)
            else im
            for im, f in zip(images, frames, strict=True)
        ]
        # A label wider than the frame widens that frame only; re-pad to keep sizes equal.
        images = _pad_all(images)

    durations = [duration_ms] * (len(images) - 1) + [final_hold_ms]
    path = Path(path)
    with atomic_path(path) as tmp:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=0,
        )
    return path
