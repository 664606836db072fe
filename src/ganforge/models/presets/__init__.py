"""The classic configurations of ``shared/recipes.md`` as presets: exact layers, losses,
optimizers and schedules, registered beside ganforge's tuned recipes. Importing this package
registers them."""

from ganforge.models.presets import family_a, family_b, family_c, family_d, family_e

__all__ = ["family_a", "family_b", "family_c", "family_d", "family_e"]
