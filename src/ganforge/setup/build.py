"""From names and YAML to live objects: the run config, the recipe, the device (the data:
:mod:`.data`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganforge.config import RunConfig, TrainConfig, apply_overrides, load_yaml
from ganforge.config.layouts import CLASS_LAYOUTS
from ganforge.config.schema import CUSTOM_DATASET, SUBSET_KEYS
from ganforge.data import dataset_name
from ganforge.errors import ConfigError
from ganforge.models import RECIPES, Recipe, get_recipe
from ganforge.models.augment.ops import resampling_twice_differentiable
from ganforge.setup.model_size import check_model_size

_TOP_LEVEL = ("recipe", "dataset", "data", "test_data", "holdout", *SUBSET_KEYS, "model", "train")
# Top-level keys of the user's own data beside data, and of the training subset.
_OWN_DATA = ("test_data", "holdout", *SUBSET_KEYS)


def make_config(
    recipe: str | None = None,
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> RunConfig:
    """Build a validated :class:`RunConfig`: recipe defaults (its model config and its
    ``train_defaults``) ← YAML file ← ``overrides``.

    ``overrides`` has the YAML file's shape (``{"train": {"epochs": 3}, "dataset": ...}``).
    A dataset given by an alias (``fashion``) is recorded by its name (``fashion-mnist``);
    the user's own ``data`` (a path) by :data:`CUSTOM_DATASET`. A recipe named both as an
    argument and in the file must agree.
    """
    data: dict[str, Any] = load_yaml(config_file) if config_file else {}
    for layer in (data, overrides or {}):
        for key in layer:
            if key not in _TOP_LEVEL:
                raise ConfigError(
                    f"unknown top-level key {key!r}; expected {', '.join(_TOP_LEVEL)}"
                )
    file_recipe = data.get("recipe")
    if recipe and file_recipe and recipe != file_recipe:
        raise ConfigError(f"recipe {recipe!r} given, but {config_file} is for {file_recipe!r}")
    name = recipe or file_recipe
    if not name:
        raise ConfigError(
            "no recipe given: name one (see `ganforge recipes`) or set recipe: in the YAML"
        )
    cls = get_recipe(name)
    model = cls.config_cls()
    # The recipe's own schedule (e.g. its tuned batch size) sits between the global defaults
    # and the user's YAML and flags.
    train = apply_overrides(TrainConfig(), dict(cls.train_defaults), "train")
    dataset, own, split = None, None, {}
    for layer in (data, overrides or {}):
        model = apply_overrides(model, layer.get("model") or {}, "model")
        train = apply_overrides(train, layer.get("train") or {}, "train")
        dataset, own = layer.get("dataset", dataset), layer.get("data", own)
        split.update({k: layer[k] for k in _OWN_DATA if layer.get(k) is not None})
    dataset = _dataset(dataset, own)
    for key in ("holdout", "data_fraction"):  # YAML's 0 or 1 (refused, as out of range, or 1.0)
        if isinstance(split.get(key), int) and not isinstance(split[key], bool):
            split[key] = float(split[key])
    cfg = RunConfig(recipe=name, dataset=dataset, model=model, train=train, data=own, **split)
    return validate_config(cfg)


def _dataset(dataset: object, own: object) -> str:
    """The dataset a run records: a known one's name (an alias such as ``fashion`` as its
    name), or :data:`CUSTOM_DATASET` for the user's own ``data``."""
    if own is None:
        return dataset_name("mnist" if dataset is None else dataset, ConfigError)
    if not isinstance(own, str) or not own:
        raise ConfigError(f"data must be the path of a folder or file, got {own!r}")
    if dataset not in (None, CUSTOM_DATASET):
        raise ConfigError(f"--data {own} and --dataset {dataset} name two training sets; give one")
    return CUSTOM_DATASET


def with_flags(
    overrides: dict[str, Any],
    train: dict[str, Any] | None = None,
    model: dict[str, Any] | None = None,
    dataset: str | None = None,
    data: Path | None = None,
    test_data: Path | None = None,
    holdout: float | None = None,
    subset: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``overrides`` (the YAML file's shape, e.g. from ``--set``) with command-line flags laid
    over them: the given ones (not None) of ``train`` and ``model`` replace those keys of
    their section, a ``dataset`` the top-level one, and ``data`` and ``test_data``
    (``--data``, ``--test-data``, made absolute), ``holdout`` and those of ``subset``
    (``data_limit``, ``data_fraction``, ``data_limit_seed``) the top-level ones. Always
    holds a ``train`` section."""
    merged = {**overrides, "train": dict(overrides.get("train") or {})}
    merged["train"].update({k: v for k, v in (train or {}).items() if v is not None})
    given = {k: v for k, v in (model or {}).items() if v is not None}
    if given:
        merged["model"] = {**(overrides.get("model") or {}), **given}
    if dataset is not None:
        merged["dataset"] = dataset
    for key, path in (("data", data), ("test_data", test_data)):
        if path is not None:
            merged[key] = str(Path(path).expanduser().absolute())
    if holdout is not None:
        merged["holdout"] = holdout
    merged.update({k: v for k, v in (subset or {}).items() if v is not None})
    return merged


def resume_config(
    saved: dict[str, Any],
    overrides: dict[str, Any] | None = None,
    recipe: str | None = None,
    new_epochs: bool = False,
) -> RunConfig:
    """The config a resumed run continues with: its saved config (``config.yaml``, with the
    model fields added since as it was trained, see :func:`as_trained`) ← ``overrides``.

    ``recipe``, if given, is used in place of the saved one (another recipe than the run's
    fails on the saved model keys it does not have). ``new_epochs``: the overrides give a new
    epoch budget and no step budget, which then replaces a step budget the run was started
    with (``--epochs`` after ``--steps``).
    """
    saved = as_trained(saved)
    merged = dict(overrides or {})
    if new_epochs:
        merged["train"] = {**(merged.get("train") or {}), "steps": None}
    for section in ("model", "train"):
        if not isinstance(saved.get(section) or {}, dict):
            raise ConfigError(
                f"the run's saved config: {section} must be a mapping of keys to values, "
                f"got {str(saved[section])[:40]!r}"
            )
        merged[section] = {**(saved.get(section) or {}), **(merged.get(section) or {})}
    merged.setdefault("dataset", saved.get("dataset", "mnist"))
    # A subset given anew replaces the saved one (and the resume then refuses the change).
    subset = any(merged.get(key) is not None for key in ("data_limit", "data_fraction"))
    for key in ("data", *_OWN_DATA):
        if not (subset and key in SUBSET_KEYS):
            merged.setdefault(key, saved.get(key))
    return make_config(recipe or saved.get("recipe"), None, merged)


def validate_config(cfg: RunConfig) -> RunConfig:
    """``cfg`` itself once every check passes: its own fields' (:meth:`RunConfig.validate`),
    then those that need its recipe (a class layout needs a conditional recipe; the recipe's
    resolutions)."""
    cfg.validate()
    check_grid_layout(cfg.train.grid_layout, cfg.recipe)
    cls = get_recipe(cfg.recipe)
    if cfg.model.resolution not in cls.resolutions:
        raise ConfigError(
            f"recipe {cfg.recipe!r} works at resolution "
            f"{' or '.join(map(str, cls.resolutions))}, got model.resolution {cfg.model.resolution}"
        )
    return cfg


def check_grid_layout(layout: str, recipe: str) -> None:
    """Refuse a layout drawn by class (``per-class``, ``classes-5x6``) for a recipe that
    cannot draw a given class."""
    if layout in CLASS_LAYOUTS and not get_recipe(recipe).conditional:
        conditional = ", ".join(sorted(n for n, cls in RECIPES.items() if cls.conditional))
        raise ConfigError(
            f"grid layout {layout!r} needs a conditional recipe ({conditional}); "
            f"{recipe} is unconditional"
        )


def config_from_dict(data: dict[str, Any]) -> RunConfig:
    """Rebuild a :class:`RunConfig` from its saved dict form (``config.yaml``, checkpoints).

    A field added to the recipe's config after the run was saved takes the value that the
    run was trained with (``ModelConfig.saved_before``), not today's default.
    """
    saved = {k: v for k, v in as_trained(data).items() if k != "recipe"}
    return make_config(data.get("recipe"), None, saved)


def as_trained(data: dict[str, Any]) -> dict[str, Any]:
    """A saved config's dict with the model fields added since it was saved filled in with
    the values the run was trained with (``ModelConfig.saved_before``), so that resuming
    and comparing it against today's config sees what it really used. An unknown recipe is
    left as it is, for the caller's own error."""
    recipe, model = data.get("recipe"), data.get("model")
    if not recipe or not isinstance(model, dict):
        return data
    try:
        config_cls = get_recipe(recipe).config_cls
    except ConfigError:
        return data
    return {**data, "model": {**fields_added_since(config_cls), **model}}


def fields_added_since(config_cls: type) -> dict[str, Any]:
    """Every ``saved_before`` entry of ``config_cls`` and the config classes it extends (a
    subclass's entry wins), so that a field added to a shared base such as ``BCEConfig``
    counts for every recipe built on it."""
    added: dict[str, Any] = {}
    for cls in reversed(config_cls.__mro__):
        added.update(vars(cls).get("saved_before", {}))
    return added


def build_recipe(
    cfg: RunConfig, num_classes: int, device: torch.device | str = "cpu", training: bool = False
) -> Recipe:
    """Instantiate the configured recipe on ``device``, once its size is known to be within
    the limit (:func:`~ganforge.setup.model_size.check_model_size`) and, to be ``training``,
    once this torch is known to differentiate its augmentation as its penalties need (a
    model loaded to sample runs no penalty, so skips that check)."""
    check_model_size(cfg, num_classes)
    recipe = get_recipe(cfg.recipe)(cfg.model, num_classes)
    if training:
        _check_augment_resampling(recipe)
    return recipe.to(device)


def _check_augment_resampling(recipe: Recipe) -> None:
    """A one-line :class:`ConfigError` where the augmentation's scale or rotation would
    meet the recipe's gradient penalty on a torch that cannot differentiate it twice."""
    pipe = recipe.augmentation.pipe if recipe.augmentation is not None else None
    resamples = pipe is not None and {"scale", "rotation"} & set(pipe.policy)
    if resamples and recipe.double_backward and not resampling_twice_differentiable():
        kept = ",".join(op for op in pipe.policy if op not in ("scale", "rotation"))
        kept = kept or "translation"
        raise ConfigError(
            f"model.augment: scale and rotation under {recipe.name}'s gradient penalty need "
            f"torch's second derivative of grid_sample, which torch {torch.__version__} "
            f"lacks; upgrade torch, or leave them out: --set model.augment_ops={kept}"
        )


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA if available, else CPU; an unavailable device is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(
            f"unknown device {name!r}; expected auto, cpu, cuda, cuda:N or mps"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device {name!r} requested but CUDA is not available here; use --device cpu"
        )
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ConfigError(f"device {name!r}: this machine has {torch.cuda.device_count()} GPU(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            f"device {name!r} requested but MPS is not available here; use --device cpu"
        )
    return device
