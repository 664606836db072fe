"""``ganforge compare``'s plan: every recipe under the same budget and seeds, one ordinary run
directory each, ``OUT/<recipe>/seed<k>/``.

The budget is per run: epochs (the same images for every recipe), or minutes of training
(the same time: what the question "which gives the best digits for my time" asks). A time
budget caps the epochs at :data:`TIME_BUDGET_EPOCHS`, far beyond what minutes train here, and
annealed tricks follow the time (see ``Trainer.progress``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ganforge.data import DataSource
from ganforge.errors import ConfigError
from ganforge.experiments.study import StudyRun
from ganforge.models.recipes import DEFAULT_RECIPES
from ganforge.setup.build import make_config
from ganforge.setup.data import source_config

# The default budget: 45 s of training per run. On a 2-core CPU each run then takes about 70 s
# in all: its outputs (~3 s), its final evaluation at n = 10,000 (~15-20 s: KID's 100 subsets
# dominate it) and its FID curve (~1.5 s a point), so the six default recipes × 3 seeds take
# about 21 minutes, with room left under the 30 the whole comparison may take on that CPU.
DEFAULT_BUDGET_MINUTES = 0.75
TIME_BUDGET_EPOCHS = 1000


def budget_train(budget_epochs: int | None, budget_minutes: float | None) -> dict[str, Any]:
    """The train settings of a budget (the default when neither is given); a one-line
    :class:`ConfigError` for both, or for a budget that is not positive."""
    if budget_epochs is not None and budget_minutes is not None:
        raise ConfigError("give --budget-epochs or --budget-minutes, not both")
    if budget_epochs is not None:
        if budget_epochs < 1:
            raise ConfigError(f"--budget-epochs must be a positive integer, got {budget_epochs}")
        return {"epochs": budget_epochs}
    minutes = DEFAULT_BUDGET_MINUTES if budget_minutes is None else budget_minutes
    if not (math.isfinite(minutes) and minutes > 0):
        raise ConfigError(f"--budget-minutes must be a positive number, got {minutes}")
    return {"epochs": TIME_BUDGET_EPOCHS, "time_limit": round(60 * minutes, 3)}


def describe_budget(train: dict[str, Any]) -> str:
    """``45 s of training per run``, ``2.5 min of training per run`` or ``5 epochs per run``."""
    seconds = train.get("time_limit")
    if seconds:
        amount = f"{seconds:g} s" if seconds < 120 else f"{seconds / 60:g} min"
        return f"{amount} of training per run"
    return f"{train['epochs']} epoch{'s' if train['epochs'] != 1 else ''} per run"


def plan(
    recipes: Sequence[str],
    out: Path,
    seeds: int = 3,
    dataset: str | DataSource = "mnist",
    budget_epochs: int | None = None,
    budget_minutes: float | None = None,
    device: str = "auto",
    overrides: dict[str, Any] | None = None,
) -> list[StudyRun]:
    """Every run of the comparison, recipe by recipe, seeds 0..K-1 each: configs as
    ``ganforge train RECIPE`` builds them (the recipe's tuned schedule), with the budget, the
    seed and ``overrides`` (``{"model": ..., "train": ...}``, the same for every recipe)
    on top, all on ``dataset`` (a known one's name, or the user's own data). Every check
    happens here, before anything is trained."""
    recipes = list(recipes) or list(DEFAULT_RECIPES)
    twice = sorted({r for r in recipes if recipes.count(r) > 1})
    if twice:
        raise ConfigError(f"recipe {twice[0]!r} is named twice; name each recipe once")
    if seeds < 1:
        raise ConfigError(f"--seeds must be a positive integer, got {seeds}")
    budget = budget_train(budget_epochs, budget_minutes)
    extra = overrides or {}
    runs = []
    for recipe in recipes:
        for seed in range(seeds):
            train = {**extra.get("train", {}), **budget}
            train.update(seed=seed, device=device)
            layer = {**source_config(dataset), "model": extra.get("model", {}), "train": train}
            cfg = make_config(recipe, None, layer)
            runs.append(StudyRun(recipe, recipe, seed, cfg, out / recipe / f"seed{seed}"))
    return runs
