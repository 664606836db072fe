"""Recipes: registered GAN variants, each a generator, a discriminator, a loss and a schedule."""

from ganforge.models import presets as _presets  # noqa: F401  (registers the classic presets)
from ganforge.models import recipes as _recipes  # noqa: F401  (registers the recipes)
from ganforge.models.base import Recipe
from ganforge.models.registry import RECIPES, get_recipe, register

__all__ = ["RECIPES", "Recipe", "get_recipe", "register"]
