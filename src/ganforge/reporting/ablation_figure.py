"""The ablation figure: sample grids side by side, each titled with its rung and score."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from ganforge.figures.images import _pad_all, _title_size, _write_png
from ganforge.figures.text import add_text_strip

__all__ = ["PANEL_GAP", "save_ablation_figure"]

PANEL_GAP = 8  # black pixels between panels, so neighbouring grids' grey borders stay apart


def save_ablation_figure(panels: Sequence[tuple[Path, Sequence[str]]], path: Path) -> Path:
    """Write one row of panels, each a PNG grid with its title lines above it, to ``path``.

    ``panels`` is ``[(grid.png, ["1. [-1,1] + tanh", "FID 12.3 ± 0.4"]), ...]``. Panels of
    different sizes (a long title widens its panel) are centred on a black canvas of the
    largest size, so the figure is ``k·w + (k−1)·PANEL_GAP`` wide for ``k`` panels of width
    ``w``. Grey grids stay grey (mode L). The file is replaced atomically.
    """
    if not panels:
        raise ValueError("save_ablation_figure needs at least one panel")
    images = []
    for grid, lines in panels:
        with Image.open(grid) as im:
            image = im.convert("L") if im.mode in ("L", "1") else im.convert("RGB")
        size = _title_size(image.width)
        for line in reversed(lines):  # the first line ends up on top
            image = add_text_strip(image, line, size=size, where="top")
        images.append(image)
    mode = "L" if all(im.mode == "L" for im in images) else "RGB"
    images = _pad_all([im.convert(mode) for im in images])
    width, height = images[0].size
    figure = Image.new(mode, (len(images) * width + (len(images) - 1) * PANEL_GAP, height), 0)
    for i, image in enumerate(images):
        figure.paste(image, (i * (width + PANEL_GAP), 0))
    return _write_png(figure, path)
