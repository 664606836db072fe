"""The recipe registry: every recipe and preset by name (what ``ganforge recipes`` lists and a
run's ``recipe`` names), the decorator that adds one, the lookup with a "did you mean", and
:func:`schedule`, the read-only form of a recipe's tuned ``train_defaults``."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType

from ganforge.errors import ConfigError
from ganforge.models.base import Recipe

RECIPES: dict[str, type[Recipe]] = {}


def register(cls: type[Recipe]) -> type[Recipe]:
    """Class decorator adding a recipe to the registry under ``cls.name``."""
    if cls.name in RECIPES:
        raise ValueError(f"recipe {cls.name!r} is registered twice")
    RECIPES[cls.name] = cls
    return cls


def get_recipe(name: str) -> type[Recipe]:
    """Look a recipe up by name, with a "did you mean" for typos."""
    if not isinstance(name, str):  # a config file from elsewhere: `recipe: [a]`
        raise ConfigError(f"recipe must be a name (see `ganforge recipes`), got {str(name)[:40]!r}")
    try:
        return RECIPES[name]
    except KeyError:
        close = difflib.get_close_matches(name, RECIPES, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(RECIPES))}"
        raise ConfigError(f"unknown recipe {name!r}; {hint}") from None


def schedule(**train: object) -> Mapping[str, object]:
    """A recipe's ``train_defaults``, read-only: ``train_defaults = schedule(batch_size=32)``."""
    return MappingProxyType(train)
