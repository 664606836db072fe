"""ganforge from Python: :func:`train`, :func:`load`, :func:`evaluate`, :func:`save_grid`,
:func:`show`, :func:`recipes`, and the objects they return (:class:`Run`, :class:`Model`,
:class:`Scores`, :class:`Grid`); the ``ganforge`` command line is built on them.

``import ganforge as gf`` re-exports these names lazily (see :mod:`ganforge`).
"""

from __future__ import annotations

from ganforge.api.images import Grid, save_grid, show
from ganforge.api.model import Model, load
from ganforge.api.run import Run, open_run, train
from ganforge.api.scores import Scores, evaluate
from ganforge.errors import GanforgeError


def recipes() -> list[str]:
    """The names of every recipe :func:`train` takes (``ganforge recipes`` lists them with
    their sizes)."""
    from ganforge.models import RECIPES

    return sorted(RECIPES)


__all__ = [
    "GanforgeError",
    "Grid",
    "Model",
    "Run",
    "Scores",
    "evaluate",
    "load",
    "open_run",
    "recipes",
    "save_grid",
    "show",
    "train",
]
