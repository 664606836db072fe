"""ganforge: train, watch, compare and use the classic GAN family on MNIST-like images.

``import ganforge as gf`` is fast: the Python API's names (:mod:`ganforge.api`: ``train``,
``load``, ``evaluate``, ``save_grid``, ``show``, ``recipes``, ``open_run``, ``Run``,
``Model``, ``Scores``, ``Grid``, ``GanforgeError``) are imported on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing would double `import ganforge`'s time

__version__ = "0.1.0"

__all__ = [
    "GanforgeError",
    "Grid",
    "Model",
    "Run",
    "Scores",
    "__version__",
    "evaluate",
    "load",
    "open_run",
    "recipes",
    "save_grid",
    "show",
    "train",
]
_API = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:
    from ganforge.api import (
        GanforgeError,
        Grid,
        Model,
        Run,
        Scores,
        evaluate,
        load,
        open_run,
        recipes,
        save_grid,
        show,
        train,
    )


def __getattr__(name: str) -> object:
    """The API's names, imported from :mod:`ganforge.api` on first use (it imports torch)."""
    if name in _API:
        import importlib

        value = getattr(importlib.import_module("ganforge.api"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ganforge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
