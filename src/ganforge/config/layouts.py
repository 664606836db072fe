"""Final-figure layouts (``--grid-layout``): how many samples, of which classes, in how many
columns, under what titles.

Pure: no tensors, no files. The trainer and ``ganforge sample`` both turn a
:class:`GridLayout` into images (see :func:`ganforge.generation.layout_samples`), so the same
layout and seed draw the same figure in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GRID_LAYOUTS = ("8x8", "2x5", "5x5", "10x10", "classes-5x6", "per-class")
DEFAULT_LAYOUT = "8x8"
# Drawn by class, so only a conditional recipe can draw them.
CLASS_LAYOUTS = ("classes-5x6", "per-class")

PER_CLASS_IN_ROWS = 3  # classes-5x6: samples of each class, two classes to a row
PER_CLASS_PAGE = 8  # per-class: each class's grid is 8×8


@dataclass(frozen=True)
class GridPage:
    """One image file: cell ``i`` shows latent ``latents[i]`` drawn as class ``labels[i]``.

    ``suffix`` goes after the file stem (``""``, or ``"_class_3"`` for one page per class).
    """

    latents: tuple[int, ...]
    labels: tuple[int, ...] | None
    columns: int
    title: str | None = None
    suffix: str = ""


@dataclass(frozen=True)
class GridLayout:
    """A named layout: ``num_latents`` latents, shared by its ``pages``."""

    name: str
    num_latents: int
    pages: tuple[GridPage, ...]


def plan_layout(name: str, class_names: Sequence[str] | None) -> GridLayout:
    """The layout ``name`` for a recipe with ``class_names`` (None: unconditional).

    ``RxC`` layouts are R rows of C samples, one latent each; a conditional recipe draws them
    as classes 0, 1, … in reading order. ``classes-5x6`` shows 3 samples of every class in
    class order, 6 columns (two classes a row); ``per-class`` one titled 8×8 grid per class.
    Class layouts reuse the same latents for every class, so a position shows one "style"
    across classes, as the training grids do.
    """
    if name not in GRID_LAYOUTS:
        raise ValueError(f"grid layout must be one of {', '.join(GRID_LAYOUTS)}; got {name!r}")
    if name in CLASS_LAYOUTS:
        if not class_names:
            raise ValueError(f"grid layout {name!r} needs class names (a conditional recipe)")
        return _by_class(name, class_names)
    rows, columns = (int(v) for v in name.split("x"))
    n = rows * columns
    labels = None if class_names is None else tuple(i % len(class_names) for i in range(n))
    return GridLayout(name, n, (GridPage(tuple(range(n)), labels, columns),))


def _by_class(name: str, class_names: Sequence[str]) -> GridLayout:
    """``classes-5x6`` or ``per-class``: the same latents drawn as every class."""
    if name == "classes-5x6":
        n = PER_CLASS_IN_ROWS
        cells = range(len(class_names) * n)
        page = GridPage(tuple(i % n for i in cells), tuple(i // n for i in cells), 2 * n)
        return GridLayout(name, n, (page,))
    n = PER_CLASS_PAGE * PER_CLASS_PAGE
    pages = tuple(
        GridPage(tuple(range(n)), (c,) * n, PER_CLASS_PAGE, title, f"_class_{c}")
        for c, title in enumerate(class_names)
    )
    return GridLayout(name, n, pages)
