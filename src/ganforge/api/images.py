"""Images in Python: a :class:`Grid` of a batch (shown inline in Jupyter), :func:`save_grid`
and :func:`show`. Images are float tensors N×C×H×W in [0, 1], as :meth:`Model.sample` draws
them."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from torch import Tensor

from ganforge.figures.images import grid_image
from ganforge.figures.images import save_grid as _save_grid
from ganforge.rundir.atomic import atomic_path


def _nrow(images: Tensor, nrow: int | None) -> int:
    return nrow or max(1, math.ceil(math.sqrt(images.shape[0])))


class Grid:
    """A grid of ``images`` (N×C×H×W floats in [0, 1]), ``nrow`` a row (default: square),
    optionally with each image's class ``labels`` and the ``class_names`` to write beside
    them. Jupyter shows it as a PNG; :attr:`image` is the Pillow image, :meth:`save` writes it."""

    def __init__(
        self,
        images: Tensor,
        nrow: int | None = None,
        labels: Sequence[int] | Tensor | None = None,
        class_names: Sequence[str] | None = None,
        title: str | None = None,
    ) -> None:
        self.images = images
        self.nrow = _nrow(images, nrow)
        self.image: Image.Image = grid_image(
            images, self.nrow, (0.0, 1.0), title, labels, class_names
        )

    def save(self, path: str | Path) -> Path:
        """Write the grid as a PNG at ``path`` (replaced atomically); returns the path."""
        with atomic_path(Path(path)) as tmp:
            self.image.save(tmp, format="PNG")
        return Path(path)

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        return f"Grid({n} images {c}×{h}×{w}, {self.nrow} a row)"

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.image.save(buffer, format="PNG")
        return buffer.getvalue()


def save_grid(
    images: Tensor,
    path: str | Path,
    nrow: int | None = None,
    title: str | None = None,
) -> Path:
    """Write ``images`` (N×C×H×W floats in [0, 1]) as one PNG grid at ``path``, ``nrow`` a
    row (default: square), with an optional ``title`` on top; returns the path."""
    return _save_grid(images, Path(path), _nrow(images, nrow), (0.0, 1.0), title)


def show(images: Tensor | Grid, nrow: int | None = None, title: str | None = None) -> None:
    """Show ``images`` (N×C×H×W floats in [0, 1], or a :class:`Grid`) as a grid: inline in
    Jupyter (or another IPython display), else in the system's image viewer."""
    grid = images if isinstance(images, Grid) else Grid(images, nrow, title=title)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None  # type: ignore[assignment]
    if get_ipython is not None and get_ipython() is not None:
        display(grid)
    else:
        grid.image.show()
