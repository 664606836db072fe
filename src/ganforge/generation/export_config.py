"""An exported model folder (``ganforge export``, the Hugging Face Hub model layout): its
``config.json`` as a typed record, and reading the folder back as a checkpoint is read.

``config.json`` holds the run's config at its top level (``recipe``, ``dataset``, ``model``,
``train`` and, for the user's own data, ``data``), so the run is rebuilt exactly, and beside
it the facts a reader looks for first (resolution, latent size, classes, data range), which
must agree with the model config. ``huggingface_hub``'s ``PyTorchModelHubMixin`` passes every
key as an init keyword (see :mod:`.hub`). ``model.safetensors`` holds the sampling generator
alone, its tensors named ``generator.*``. Both files come from strangers: sizes are bounded,
every field typed, every tensor checked against the recipe (names, shapes, dtypes, finite).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor

from ganforge.config import RunConfig
from ganforge.errors import CheckpointError, GanforgeError
from ganforge.models import Recipe
from ganforge.rundir.atomic import read_safetensors
from ganforge.rundir.checkpoint import recipe_modules
from ganforge.rundir.checkpoint_checks import MAX_CLASS_NAME, MAX_CLASSES, check_module_tensors
from ganforge.rundir.records import decode_record, read_json
from ganforge.setup.build import build_recipe, config_from_dict

EXPORT_FORMAT = "ganforge-export/1"
CONFIG_NAME, WEIGHTS_NAME = "config.json", "model.safetensors"
PREFIX = "generator"  # the tensors' names in model.safetensors: generator.<state-dict name>
RUN_KEYS = ("recipe", "dataset", "model", "train", "data", "test_data", "holdout")
CHANNELS = 1  # every dataset ganforge trains on is greyscale
HEADER_SLACK = 2**20  # bytes a safetensors header may add to the weights themselves


@dataclass(frozen=True, kw_only=True)
class ExportConfig:
    """``config.json`` of an exported model (fields beyond these are ignored)."""

    RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "num_classes": (1, MAX_CLASSES),
        "resolution": (1, 1024),
        "channels": (1, 4),
        "latent_dim": (1, 2**20),
        "step": (0, 2**53),
    }

    format: str
    recipe: str
    dataset: str
    model: dict[str, Any]
    train: dict[str, Any]
    resolution: int
    channels: int
    latent_dim: int
    latent_distribution: str
    data_range: str
    num_classes: int
    conditional: bool
    class_names: list[str] | None = None
    data_fingerprint: str | None = None
    step: int | None = None


def export_config(
    cfg: RunConfig, recipe: Recipe, class_names: tuple[str, ...] | None, meta: dict[str, Any]
) -> dict[str, Any]:
    """``config.json``'s content: the run's config, then the facts derived from it, then
    what the checkpoint records (data fingerprint, step)."""
    return {
        "format": EXPORT_FORMAT,
        **cfg.to_dict(),
        "resolution": cfg.model.resolution,
        "channels": CHANNELS,
        "latent_dim": cfg.model.latent_dim,
        "latent_distribution": cfg.model.latent_distribution,
        "data_range": cfg.model.data_range,
        "num_classes": recipe.num_classes,
        "conditional": recipe.conditional,
        "class_names": list(class_names) if class_names else None,
        "data_fingerprint": meta.get("data_fingerprint"),
        "step": meta.get("step"),
    }


def is_export(folder: Path) -> bool:
    """Whether ``folder`` looks like an exported model (a ``config.json`` beside weights)."""
    folder = Path(folder)
    return folder.is_dir() and (folder / CONFIG_NAME).is_file()


def read_export_config(folder: Path) -> tuple[ExportConfig, RunConfig]:
    """The checked ``config.json`` of ``folder`` and the run config it holds."""
    path = Path(folder) / CONFIG_NAME
    data = read_json(path, "config.json")
    record = decode_record(ExportConfig, data, path, "a ganforge export")
    if record.format != EXPORT_FORMAT:
        raise CheckpointError(f"{path}: format {record.format!r} is not {EXPORT_FORMAT!r}")
    try:
        cfg = config_from_dict({k: data[k] for k in RUN_KEYS if k in data})
    except GanforgeError as err:
        raise CheckpointError(f"{path}: {err}") from None
    _check_agrees(path, record, cfg)
    return record, cfg


def _check_agrees(path: Path, record: ExportConfig, cfg: RunConfig) -> None:
    """The facts beside the run config must be the run config's."""
    model = cfg.model
    facts = {
        "resolution": model.resolution,
        "latent_dim": model.latent_dim,
        "latent_distribution": model.latent_distribution,
        "data_range": model.data_range,
        "channels": CHANNELS,
    }
    for key, want in facts.items():
        if getattr(record, key) != want:
            raise CheckpointError(
                f"{path}: {key} is {getattr(record, key)!r} but the model config says {want!r}"
            )
    names = record.class_names or []
    if len(names) > MAX_CLASSES or any(not 0 < len(n) <= MAX_CLASS_NAME for n in names):
        raise CheckpointError(
            f"{path}: class_names must be at most {MAX_CLASSES} names of 1 to "
            f"{MAX_CLASS_NAME} characters"
        )


def load_export(folder: Path) -> tuple[RunConfig, Recipe, ExportConfig]:
    """The recipe of the exported ``folder`` with its generator (and weight average, where
    the recipe keeps one) holding the exported weights, every tensor checked first."""
    record, cfg = read_export_config(folder)
    recipe = build_recipe(cfg, record.num_classes, "cpu")
    if recipe.conditional != record.conditional:
        raise CheckpointError(
            f"{Path(folder) / CONFIG_NAME}: conditional does not fit {cfg.recipe}"
        )
    state = read_weights(Path(folder) / WEIGHTS_NAME, recipe.generator, cfg.recipe)
    modules = recipe_modules(recipe, "sample")  # G, and its average: both hold the samples' net
    for net in modules.values():
        net.load_state_dict(state)
    if recipe.ema is not None:
        recipe.ema.stale = False  # the exported statistics are the average's own
    return cfg, recipe, record


def read_weights(path: Path, net: torch.nn.Module, recipe: str) -> dict[str, Tensor]:
    """The generator's state in ``path``, refused in one line unless it is a ganforge export
    no larger than the net's weights in float64, with exactly the net's tensors."""
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist; is {path.parent} an exported model?")
    limit = sum(t.numel() * 8 for t in net.state_dict().values()) + HEADER_SLACK
    if path.stat().st_size > limit:
        raise CheckpointError(f"{path} holds more than the {limit:,} bytes its generator needs")
    tensors, meta = read_safetensors(path, "model file")
    if not isinstance(meta, dict) or meta.get("format") != EXPORT_FORMAT:
        raise CheckpointError(f"{path} is a safetensors file but not a ganforge export")
    stray = [k for k in tensors if not k.startswith(PREFIX + ".")]
    if stray:
        raise CheckpointError(f"{path}: {stray[0]!r} is not a generator tensor")
    state = {k.removeprefix(PREFIX + "."): v for k, v in tensors.items()}
    check_module_tensors(path, PREFIX, net, state, recipe)
    return {k: v.to(net.state_dict()[k].dtype) for k, v in state.items()}
