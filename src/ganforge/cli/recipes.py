"""``ganforge recipes``: every registered recipe with its family and parameter counts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ganforge.models import RECIPES


def recipes() -> None:
    """List every recipe: name, family, resolution, latent size, G / D parameters.

    [bold]Example[/]

      ganforge recipes
    """
    table = Table(title="ganforge recipes")
    table.add_column("recipe", no_wrap=True)
    table.add_column("family", no_wrap=True)
    for col in ("res", "latent", "G params", "D params"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("what it is", ratio=1)
    for name, cls in sorted(RECIPES.items(), key=lambda kv: (kv[1].family, kv[0])):
        cfg = cls.config_cls()
        g, d = cls(cfg).parameter_counts()
        summary = cls.summary + (" (assumed)" if cls.assumed else "")
        table.add_row(
            name,
            cls.family,
            str(cfg.resolution),
            str(cfg.latent_dim),
            f"{g:,}",
            f"{d:,}",
            summary,
        )
    Console().print(table)
