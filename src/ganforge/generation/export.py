"""``ganforge export``: a run's generator as a folder in the Hugging Face Hub model layout.

``model.safetensors`` holds the generator that samples are drawn from (the weight average
where the recipe keeps one) and nothing else: no discriminator, optimizer or RNG state.
``config.json`` holds what rebuilds it (see :mod:`.export_config`), ``grid.png`` samples
of fixed seeds, ``README.md`` the model card (see :mod:`.model_card`). Every file goes
through the atomic writer; a folder that exists and holds anything is refused unless
``force``. :func:`~ganforge.generation.load_model` and :mod:`.hub`'s mixin class read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganforge.errors import ConfigError, GanforgeError
from ganforge.generation.export_config import (
    CONFIG_NAME,
    EXPORT_FORMAT,
    PREFIX,
    WEIGHTS_NAME,
    export_config,
    is_export,
)
from ganforge.generation.files import write_samples
from ganforge.generation.model import TrainedModel, load_model, resolve_checkpoint
from ganforge.generation.model_card import model_card
from ganforge.rundir.atomic import write_safetensors, write_text
from ganforge.rundir.checkpoint import checkpoint_meta
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.records import read_json

GRID_NAME, CARD_NAME = "grid.png", "README.md"
GRID_SEED = 0


def export_model(
    source: Path, out_dir: Path, force: bool = False, checkpoint: Path | None = None
) -> list[Path]:
    """Export the generator of ``source`` (a run directory, its last checkpoint, or a
    checkpoint file) into ``out_dir``; returns the files written."""
    out_dir, source = Path(out_dir), Path(source)
    if checkpoint is None and is_export(source):
        raise ConfigError(f"{source} is an exported model already; copy the folder instead")
    check_out_dir(out_dir, force)
    if source.is_dir() and out_dir.resolve() == source.resolve():
        raise ConfigError(f"export into a folder of its own, not into the run {source}")
    ckpt_path = resolve_checkpoint(source, checkpoint)
    model = load_model(source, checkpoint)
    meta = checkpoint_meta(ckpt_path)
    config = export_config(model.config, model.recipe, model.class_names, meta.__dict__)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_weights(model, out_dir / WEIGHTS_NAME)]
    written.append(write_text(out_dir / CONFIG_NAME, json.dumps(config, indent=2) + "\n"))
    grid, note = write_grid(model, out_dir / GRID_NAME)
    written.append(grid)
    metrics = run_metrics(source, ckpt_path, meta.step)
    summary = getattr(type(model.recipe), "summary", "")
    card = model_card(config, metrics, summary, note)
    written.append(write_text(out_dir / CARD_NAME, card))
    return written


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse, in one line, an ``out_dir`` that is a file, or a folder holding anything
    (unless ``force``: then the export's files are replaced and the rest left alone)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise ConfigError(
            f"{out_dir} exists and is not empty; export into a new folder, or pass --force "
            "to replace the export's files in it"
        )


def write_weights(model: TrainedModel, path: Path) -> Path:
    """The sampling generator's state as ``generator.*`` tensors, in float32 as trained."""
    net = model.recipe.sampler  # the weight average, its batch-norm statistics its own
    tensors = {f"{PREFIX}.{k}": v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    return write_safetensors(path, tensors, {"format": EXPORT_FORMAT}, "model file")


def write_grid(model: TrainedModel, path: Path) -> tuple[Path, str]:
    """``grid.png``: 64 samples from latent seed :data:`GRID_SEED` (a column per class for
    a conditional model, 8 rows; 2 rows beyond 16 classes); returns it and its caption."""
    if model.conditional:
        k = model.recipe.num_classes
        n = k * (8 if k <= 16 else 2)
        note = f"{n} samples from latent seed {GRID_SEED}, a column per class"
    else:
        n = 64
        note = f"{n} samples from latent seed {GRID_SEED}"
    (grid,) = write_samples(model, n, None, GRID_SEED, grid=path)
    return grid, note


def run_metrics(source: Path, ckpt: Path, step: int) -> dict[str, Any] | None:
    """The run's ``metrics.json`` if it measured this checkpoint at this step (else None:
    the card then says "not evaluated"); an unreadable one counts as absent."""
    run_dir = source if source.is_dir() else None
    if run_dir is None and ckpt.parent.name == "checkpoints":
        run_dir = ckpt.parent.parent
    if run_dir is None:
        return None
    try:
        metrics = read_json(RunLayout(run_dir).metrics_json, "metrics.json")
    except (GanforgeError, OSError):
        return None
    src = metrics.get("source") if isinstance(metrics, dict) else None
    if not isinstance(src, dict) or Path(str(src.get("checkpoint", ""))).name != ckpt.name:
        return None
    if src.get("steps") not in (None, step):
        return None
    return metrics
