"""The ablation ladders: their rungs, derived from a recipe's config defaults, and one
ordinary run directory per rung and seed, trained as a study (see :mod:`.study`).

The ``tricks`` ladder is improved-DCGAN's: rung 1 turns every trick off (data in [-1,1], tanh
output, plain BCE); each later rung turns one group of tricks back on at the recipe's default
values, so the last rung is the recipe as shipped. Any recipe whose config has the ladder's
fields can be ablated. The ``augment`` ladder climbs D's augmentation on any recipe as
shipped: none, then DiffAugment, then ADA (``model.augment``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.data import DataSource
from ganforge.errors import ConfigError
from ganforge.experiments.study import StudyRun
from ganforge.models import get_recipe
from ganforge.setup.build import make_config
from ganforge.setup.data import source_config

# Every trick switched off: the values of rung 1, whatever the recipe's defaults are.
TRICKS_OFF: dict[str, Any] = {
    "dropout": 0.0,
    "d_steps": 1,
    "real_label": 1.0,
    "fake_label": 0.0,
    "input_noise": 0.0,
    "input_noise_anneal": False,
}
# Shared by every rung: the ladder starts from "[-1,1] + tanh" (the generator's output
# activation follows the data range).
BASE: dict[str, Any] = {"data_range": "-1,1"}
# (name, folder slug, the fields this rung sets back to the recipe's defaults)
LADDER: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("[-1,1] + tanh", "baseline", ()),
    ("+ dropout, extra D steps", "dropout-dsteps", ("dropout", "d_steps")),
    ("+ label smoothing", "label-smoothing", ("real_label", "fake_label")),
    ("+ input noise", "input-noise", ("input_noise", "input_noise_anneal")),
)
# (name, folder slug and model.augment value) of the augmentation ladder's rungs.
AUGMENT_LADDER: tuple[tuple[str, str], ...] = (
    ("no augmentation", "none"),
    ("DiffAugment", "diffaugment"),
    ("ADA", "ada"),
)
LADDERS = ("tricks", "augment")  # ganforge ablate --ladder


@dataclass(frozen=True)
class Rung:
    """One step of the ladder: its model settings and what it changes.

    ``diff`` maps each changed field to (before, now): rung 1's against the recipe's
    defaults (the tricks it turns off), every later rung's against the rung before.
    """

    index: int  # 1-based
    name: str
    slug: str
    model: dict[str, Any]  # the ladder's fields (and BASE) at this rung
    diff: dict[str, tuple[Any, Any]]

    @property
    def folder(self) -> str:
        return f"{self.index}-{self.slug}"


def ladder(recipe: str, kind: str = "tricks", only: Sequence[str] = ()) -> list[Rung]:
    """The rungs of ladder ``kind`` (see :data:`LADDERS`) for ``recipe``, from its config's
    defaults, or those of them that ``only`` names (``--rungs``); a one-line
    :class:`ConfigError` if the config lacks a ladder field, a rung would change nothing or
    ``only`` names no rung of the ladder."""
    if kind not in LADDERS:
        raise ConfigError(f"--ladder must be one of {', '.join(LADDERS)}, got {kind!r}")
    rungs = augment_ladder(recipe) if kind == "augment" else tricks_ladder(recipe)
    return chosen(rungs, kind, only) if only else rungs


def chosen(rungs: list[Rung], kind: str, only: Sequence[str]) -> list[Rung]:
    """The rungs that ``only`` names, by number, slug or folder ("3", "ada", "3-ada"), in the
    ladder's order; each diff still against the ladder's rung before."""
    names = {key: rung for rung in rungs for key in (str(rung.index), rung.slug, rung.folder)}
    unknown = [name for name in only if name.strip() not in names]
    if unknown:
        known = ", ".join(f"{r.index} {r.slug}" for r in rungs)
        raise ConfigError(f"--rungs: the {kind} ladder has no rung {unknown[0]!r} ({known})")
    picked = {names[name.strip()].index for name in only}
    return [rung for rung in rungs if rung.index in picked]


def tricks_ladder(recipe: str) -> list[Rung]:
    """Improved-DCGAN's ladder on ``recipe``: every trick off, then one group at a time on
    at the recipe's defaults."""
    defaults = dataclasses.asdict(get_recipe(recipe).config_cls())
    missing = [name for name in TRICKS_OFF if name not in defaults]
    if missing:
        raise ConfigError(
            f"recipe {recipe!r} cannot be ablated: its config has no {', '.join(missing)} "
            f"(the ladder needs {', '.join(TRICKS_OFF)})"
        )
    model = {**BASE, **TRICKS_OFF}
    before = {k: defaults[k] for k in model}
    rungs = []
    for index, (name, slug, fields) in enumerate(LADDER, start=1):
        model = {**model, **{k: defaults[k] for k in fields}}
        diff = {k: (before[k], v) for k, v in model.items() if before[k] != v}
        if index > 1 and not diff:
            # Training it would only repeat the rung before under another name.
            now = ", ".join(f"{k}={defaults[k]!r}" for k in fields)
            raise ConfigError(
                f"rung {index} {name!r} changes nothing for recipe {recipe!r}: its defaults "
                f"({now}) are the tricks-off values; ablate a recipe that turns them on"
            )
        rungs.append(Rung(index, name, slug, model, diff))
        before = model
    return rungs


def augment_ladder(recipe: str) -> list[Rung]:
    """No augmentation, DiffAugment, ADA: ``model.augment`` on the recipe as shipped, each
    rung's diff against the one before (rung 1's against the recipe's defaults)."""
    defaults = dataclasses.asdict(get_recipe(recipe).config_cls())
    if "augment" not in defaults:
        raise ConfigError(f"recipe {recipe!r} has no model.augment to climb")
    before, rungs = {"augment": defaults["augment"]}, []
    for index, (name, value) in enumerate(AUGMENT_LADDER, start=1):
        model = {"augment": value}
        diff = {k: (before[k], v) for k, v in model.items() if before[k] != v}
        rungs.append(Rung(index, name, value, model, diff))
        before = model
    return rungs


def plan(
    recipe: str,
    out: Path,
    seeds: int,
    dataset: str | DataSource = "mnist",
    epochs: int = 5,
    steps: int | None = None,
    device: str = "auto",
    kind: str = "tricks",
    overrides: dict[str, Any] | None = None,
    only: Sequence[str] = (),
) -> list[StudyRun]:
    """Every run of the ablation (of the rungs ``only`` names, if any), in order:
    ``OUT/<rung>-<slug>/seed<k>`` for seeds 0..K-1.

    The configs come from :func:`make_config` (the recipe's ``train_defaults``, then
    ``overrides`` (``--set``: ``{"model": ..., "train": ...}``, the same for every rung), the
    rung's model fields and the schedule), exactly as ``ganforge train`` would build them,
    on ``dataset`` (a known one's name, or the user's own data).
    """
    if seeds < 1:
        raise ConfigError(f"--seeds must be a positive integer, got {seeds}")
    extra = overrides or {}
    rungs = ladder(recipe, kind, only)
    for rung in rungs:
        clash = sorted(set(extra.get("model", {})) & set(rung.model))
        if clash:
            raise ConfigError(f"--set model.{clash[0]}: the {kind} ladder sets it on each rung")
    runs = []
    for rung in rungs:
        for seed in range(seeds):
            train: dict[str, Any] = {**extra.get("train", {}), "seed": seed, "device": device}
            # With --steps the epoch budget means nothing: leave it at its default, so that it
            # cannot make a rerun look like another ablation.
            train.update({"epochs": epochs} if steps is None else {"steps": steps})
            model = {**extra.get("model", {}), **rung.model}
            layer = {**source_config(dataset), "model": model, "train": train}
            cfg = make_config(recipe, None, layer)
            runs.append(
                StudyRun(rung.folder, rung.name, seed, cfg, out / rung.folder / f"seed{seed}")
            )
    return runs
