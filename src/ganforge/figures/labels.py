"""Class names drawn on a conditional grid: beside each row when a row is one class (the
training grids: a row per class), on both sides when a row holds two (``classes-5x6``), above
each column when a column is one (``ganforge sample`` and the studio: a column per class),
or as a title when the whole grid is one class. A grid without labels is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from ganforge.figures.text import text_image

__all__ = ["GridLabels", "class_labels", "draw_labels", "label_size"]

_GAP = 4  # pixels between a name and the grid, and around the names


@dataclass(frozen=True)
class GridLabels:
    """Where the names go: ``left`` and ``right`` one per row, ``top`` one per column,
    ``title`` over the whole grid (each empty where there is none)."""

    left: tuple[str, ...] = ()
    right: tuple[str, ...] = ()
    top: tuple[str, ...] = ()
    title: str = ""


def class_labels(labels: Sequence[int], columns: int, names: Sequence[str]) -> GridLabels:
    """The names of the classes ``labels`` (one per cell, in reading order) of a grid of
    ``columns`` columns: see the module's docstring for where they go. A grid whose rows and
    columns both mix classes (e.g. ten classes in turn over 8 columns) gets none."""
    cells = [int(c) for c in labels]
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    if len(set(cells)) == 1:
        return GridLabels(title=names[cells[0]])
    if all(len(set(row)) == 1 for row in rows):
        return GridLabels(left=tuple(names[row[0]] for row in rows))
    if _two_classes_a_row(rows, columns):
        return GridLabels(
            left=tuple(names[row[0]] for row in rows),
            right=tuple(names[row[-1]] for row in rows if len(row) == columns),
        )
    if all(c == cells[i % columns] for i, c in enumerate(cells)):
        return GridLabels(top=tuple(names[c] for c in cells[:columns]))
    return GridLabels()


def _two_classes_a_row(rows: list[list[int]], columns: int) -> bool:
    """Whether every row is two classes, half a row each; the last row may be one class,
    half a row (``classes-5x6`` of an odd number of classes, as EMNIST balanced's 47)."""
    half = columns // 2
    if columns % 2 or not rows:
        return False
    for i, row in enumerate(rows):
        short = i == len(rows) - 1 and len(row) == half
        if len(row) != columns and not short:
            return False
        if any(len(set(row[k : k + half])) != 1 for k in range(0, len(row), half)):
            return False
    return True


def label_size(cell: int) -> int:
    """The font size of names beside cells ``cell`` pixels high: 13 at 28×28."""
    return max(9, min(16, round(cell * 0.45)))


def draw_labels(
    grid: Image.Image, labels: GridLabels, cell: tuple[int, int], padding: int
) -> Image.Image:
    """``grid`` (cells of ``cell`` = (width, height) pixels, ``padding`` between and around
    them) on a black canvas with ``labels`` around it, white: each row's name centred on it,
    right-aligned on the left and left-aligned on the right; each column's centred over it,
    turned upright when one is wider than a cell. The title is the caller's to draw."""
    (w, h), size = cell, label_size(cell[1])
    row_y = [padding + r * (h + padding) + h // 2 for r in range(max(len(labels.left), 1))]
    left = [text_image(t, size=size) for t in labels.left]
    right = [text_image(t, size=size) for t in labels.right]
    top = [text_image(t, size=size) for t in labels.top]
    if any(im.width > w + padding for im in top):
        top = [im.rotate(90, expand=True) for im in top]
    left_w = max((im.width + 2 * _GAP for im in left), default=0)
    right_w = max((im.width + 2 * _GAP for im in right), default=0)
    top_h = max((im.height + 2 * _GAP for im in top), default=0)
    canvas = Image.new(grid.mode, (left_w + grid.width + right_w, top_h + grid.height), 0)
    canvas.paste(grid, (left_w, top_h))
    for im, y in zip(left, row_y, strict=False):
        canvas.paste(_mode(im, grid), (left_w - _GAP - im.width, top_h + y - im.height // 2))
    for im, y in zip(right, row_y, strict=False):
        canvas.paste(_mode(im, grid), (left_w + grid.width + _GAP, top_h + y - im.height // 2))
    for c, im in enumerate(top):
        x = left_w + padding + c * (w + padding) + w // 2 - im.width // 2
        canvas.paste(_mode(im, grid), (x, top_h - _GAP - im.height))
    return canvas


def _mode(word: Image.Image, grid: Image.Image) -> Image.Image:
    return word if grid.mode == "L" else word.convert(grid.mode)
