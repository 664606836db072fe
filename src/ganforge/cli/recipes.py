"""``ganforge recipes``: every registered recipe and classic preset, with parameter counts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ganforge.config import AUGMENT_OPS
from ganforge.models import RECIPES, Recipe


def _versus_source(recipe: Recipe) -> str:
    """How the counts compare with the source's table, in the source's own convention."""
    if recipe.published_counts is None:
        return ""
    if recipe.published_convention_counts() != recipe.published_counts:
        g, d = recipe.published_counts
        return f"[red]source says {g:,} / {d:,}[/]"
    if recipe.counts_batch_norm_as == "4c" and recipe.parameter_counts() != (
        recipe.published_counts
    ):
        return "= source, BN as 4c"
    return "= source"


def recipes() -> None:
    """List every recipe: ganforge's tuned defaults, then the classic presets of each family,
    with resolution, latent size and G / D parameters (PyTorch's count: batch norm 2c).

    A preset's counts are checked against its source's table in the source's convention:
    Keras counts batch norm as 4c (its moving mean and variance too), so "= source, BN as
    4c" means equal once those are added. The caption lists the augmentation fields that
    every recipe has (``model.augment``, see docs/augment.md).

    [bold]Example[/]

      ganforge recipes
    """
    caption = (
        "G / D: trainable parameters (BN as 2c). Every recipe: model.augment none | "
        f"diffaugment | ada (--augment), augment_ops ({', '.join(AUGMENT_OPS)}), "
        "augment_<op> strengths, ada_target, ada_speed, ada_interval (docs/augment.md)"
    )
    table = Table(title="ganforge recipes", caption=caption)
    table.add_column("recipe", no_wrap=True)
    table.add_column("family", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    for col in ("res", "latent", "G params", "D params"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("vs source", no_wrap=True)
    table.add_column("what it is", ratio=1, min_width=30)
    order = sorted(RECIPES.items(), key=lambda kv: (kv[1].family, kv[1].preset_of is not None))
    for name, cls in order:
        cfg = cls.config_cls()
        recipe = cls(cfg)
        g, d = recipe.parameter_counts()
        kind = "tuned default" if cls.preset_of is None else f"preset of {cls.preset_of}"
        summary = cls.summary + (f" [yellow](assumed: {cls.assumed})[/]" if cls.assumed else "")
        table.add_row(
            name,
            cls.family,
            kind,
            str(cfg.resolution),
            str(cfg.latent_dim),
            f"{g:,}",
            f"{d:,}",
            _versus_source(recipe),
            summary,
        )
    console = Console()
    # Piped output (a file, a test) gets room for the table instead of rich's 80 columns.
    width = None if console.is_terminal else 180
    Console(width=width).print(table)
