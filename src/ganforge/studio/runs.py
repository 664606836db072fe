"""Finding runs under the runs folder and reading what they wrote, for the page.

A run is a folder with ``config.yaml`` and a ``summary.json`` or ``checkpoints/`` (see
:class:`~ganforge.rundir.layout.RunLayout`); a study is a ``ganforge compare`` or
``ganforge ablate`` output folder, known by its ``results.json``, whose runs
(``OUT/<recipe>/seed<k>/``) are found like any other. Everything is read from disk on each
request, so a run that is still training shows its latest files.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.experiments.fid_curve import curve_path
from ganforge.experiments.study_results import METRICS, final_grid
from ganforge.generation import run_class_names
from ganforge.models import RECIPES
from ganforge.reporting.metric_format import number
from ganforge.rundir.checkpoint import checkpoint_meta
from ganforge.rundir.confine import UnsafePathError
from ganforge.rundir.layout import RunLayout
from ganforge.studio.errors import not_found
from ganforge.studio.paths import file_in, inside, relative_name
from ganforge.studio.reading import (
    config_text,
    finite,
    read_config,
    read_json,
    read_rows,
    safely,
    summary_of,
)
from ganforge.studio.shown import shown

MAX_DEPTH = 6  # folders below the runs folder searched for runs
MAX_FOLDERS = 20_000  # folders looked at in one listing, so a huge tree cannot stall it
MAX_CURVE_POINTS = 500  # per-batch losses are thinned to about this many points
# A run's own subfolders and other outputs never hold runs: not searched.
NOT_RUNS = {"samples", "checkpoints", "metrics", "plots", "tensorboard", "generated"}
NOT_RUNS |= {"report_files", "__pycache__", "node_modules", "mlartifacts", "mlruns", "wandb"}
# Fields of RunSummary shown on a run's page.
DEFAULT_CLASSES = 10  # classes of a checkpoint that does not record how many (as load_model)
SUMMARY_FACTS = ("params_g", "params_d", "images_per_s", "device", "precision", "peak_memory_mib")


def is_run(folder: Path) -> bool:
    """Whether ``folder`` is a run: a ``config.yaml`` with a summary or checkpoints, none of
    them leading out of it."""
    layout = RunLayout(folder)
    try:
        return layout.config.is_file() and (layout.summary.is_file() or layout.checkpoints.is_dir())
    except UnsafePathError:
        return False


def is_study(folder: Path) -> bool:
    data = read_json(folder, "results.json")
    return isinstance(data.get("kind"), str) and isinstance(data.get("runs"), list)


def discover(root: Path) -> tuple[list[Path], list[Path]]:
    """The runs and the studies under ``root`` (resolved), each sorted by path. Symlinks are
    not followed, hidden folders and runs' own subfolders are skipped, and the search stops
    at :data:`MAX_DEPTH` levels and :data:`MAX_FOLDERS` folders."""
    runs: list[Path] = []
    studies: list[Path] = []
    seen = 0
    for current, dirs, _ in os.walk(root, followlinks=False):
        folder = Path(current)
        seen += 1
        if seen > MAX_FOLDERS:
            break
        if folder != root and is_run(folder):
            runs.append(folder)
            dirs[:] = []  # a run holds no runs
            continue
        if is_study(folder):
            studies.append(folder)
        depth = len(folder.relative_to(root).parts)
        dirs[:] = (
            []
            if depth >= MAX_DEPTH
            else sorted(d for d in dirs if not d.startswith(".") and d not in NOT_RUNS)
        )
    return sorted(runs), sorted(studies)


def class_names(recipe: str, dataset: str, layout: RunLayout | None = None) -> list[str] | None:
    """The class names of a conditional recipe's run: as its last checkpoint in ``layout``
    records them (its data's: a class folder's names, say; read from the file's header
    alone), else its dataset's; None for an unconditional recipe."""
    cls = RECIPES.get(recipe)
    if cls is None or not cls.conditional:
        return None
    meta = None
    # None where there is no checkpoint yet, it is no checkpoint, or it leads out of the run.
    with contextlib.suppress(GanforgeError, OSError):
        meta = checkpoint_meta(layout.last_checkpoint) if layout is not None else None
    recorded = (meta.class_names or []) if meta is not None else []
    k = (meta.num_classes if meta is not None else None) or DEFAULT_CLASSES
    return list(run_class_names(dataset, k, recorded))


def epoch_grids(layout: RunLayout) -> list[dict[str, Any]]:
    """The fixed-latent grids over training, in epoch order: ``[{name, epoch}]`` (a name
    that is no epoch, or a file gone meanwhile, is left out)."""
    grids = []
    try:
        found = list(layout.glob(layout.samples, "epoch_*.png"))
    except UnsafePathError:  # samples/ itself leads out of the run
        found = []
    for path in found:
        try:
            grids.append((layout.grid_epoch(path), path.stat().st_mtime_ns, path.name))
        except (OSError, ValueError):
            continue
    return [{"name": name, "epoch": epoch} for epoch, _, name in sorted(grids)]


def checkpoints(layout: RunLayout) -> list[str]:
    """Checkpoint file names: ``last.safetensors`` first, then the epochs' newest first."""
    try:
        names = [p.name for p in reversed(layout.epoch_checkpoints())]
        last = [layout.last_checkpoint.name] if layout.last_checkpoint.is_file() else []
    except UnsafePathError:
        return []
    return last + names


def run_summary(root: Path, run_dir: Path, study: str | None = None) -> dict[str, Any]:
    """What the runs list shows of one run."""
    layout = RunLayout(run_dir)
    summary = summary_of(layout)
    config = read_config(layout)
    metrics = read_json(run_dir, "metrics.json")
    recipe = str((summary and summary.recipe) or config.get("recipe") or "?")
    dataset = str((summary and summary.dataset) or config.get("dataset") or "?")
    try:
        grid: str | None = final_grid(run_dir).name
    except (OSError, ValueError, UnsafePathError):  # none yet, a name that is no epoch, …
        grid = None
    facts = {
        "epochs": summary.epochs if summary else None,
        "steps": summary.steps if summary else None,
        "wall_time_s": summary.wall_time_s if summary else None,
        "fid": metrics.get("fid"),
    }
    return finite(
        {
            "name": relative_name(root, run_dir),
            "recipe": recipe,
            "dataset": dataset,
            # Trained on a subset of the training split (--data-limit): its size.
            "subset_images": number((summary.data_subset or {}).get("images")) if summary else None,
            "conditional": class_names(recipe, dataset) is not None,
            **facts,
            "fid_n": metrics.get("n_fake"),
            "final_grid": grid,
            "trained": safely(lambda: layout.last_checkpoint.is_file(), False),
            "study": study,
            "shown": shown(facts),
        }
    )


def thin(rows: list[dict[str, float]], most: int = MAX_CURVE_POINTS) -> list[dict[str, float]]:
    """Every k-th row (and the last) so that about ``most`` remain."""
    if len(rows) <= most:
        return rows
    step = math.ceil(len(rows) / most)
    kept = rows[::step]
    return kept if kept[-1] is rows[-1] else [*kept, rows[-1]]


def run_facts(run_dir: Path) -> dict[str, Any]:
    """The run's size, speed and final losses (``summary.json``) and its scores
    (``metrics.json``, as ``ganforge evaluate`` or a study wrote them), each also as text."""
    summary = summary_of(RunLayout(run_dir))
    facts = summary.to_dict() if summary else {}
    metrics = read_json(run_dir, "metrics.json")
    kept = {
        "summary": {k: facts[k] for k in SUMMARY_FACTS if k in facts},
        "metrics": {k: metrics[k] for k in (*METRICS, "kid_std", "n_fake") if k in metrics},
    }
    return finite(
        {
            **kept,
            "final_losses": facts.get("final") or {},
            "metrics_shown": shown(kept["metrics"]),
            "summary_shown": shown(kept["summary"]),
        }
    )


def run_detail(root: Path, run_dir: Path, study: str | None = None) -> dict[str, Any]:
    """Everything the run's page shows: the list's facts, its metrics, curves, grids over
    epochs, checkpoints, plots and config."""
    layout = RunLayout(run_dir)
    info = run_summary(root, run_dir, study)
    return finite(
        {
            **info,
            **run_facts(run_dir),
            "classes": class_names(info["recipe"], info["dataset"], layout),
            "losses": {
                "epochs": read_rows(lambda: layout.epochs_csv),
                "batches": thin(read_rows(lambda: layout.batches_csv)),
            },
            "fid_curve": read_rows(lambda: curve_path(run_dir)),
            "grids": epoch_grids(layout),
            "final_figures": safely(lambda: [p.name for p in layout.final_grids()], []),
            "plots": safely(lambda: sorted(p.name for p in layout.glob(layout.plots, "*.png")), []),
            "gif": safely(lambda: layout.gif.is_file(), False),
            "checkpoints": checkpoints(layout),
            "config": config_text(layout),
        }
    )


def find_run(root: Path, name: str) -> Path:
    """The run folder called ``name`` (checked, see :func:`~ganforge.studio.paths.inside`)."""
    path = inside(root, name, "run")
    if not path.is_dir() or not is_run(path):
        raise not_found(f"{name!r} is not a run (no config.yaml with a summary or checkpoints)")
    return path


def run_file(root: Path, run_dir: Path, folder: str, name: str) -> Path:
    """A PNG (or the GIF) the run wrote, by its plain file name in ``folder``."""
    layout = RunLayout(run_dir)
    where = {"samples": layout.samples, "plots": layout.plots}
    return file_in(root, where[folder], name, ".png", f"{folder} image")


def checkpoint_file(root: Path, run_dir: Path, name: str | None) -> Path:
    """The checkpoint to generate from: ``name`` in ``checkpoints/``, or the last one."""
    layout = RunLayout(run_dir)
    return file_in(
        root, layout.checkpoints, name or layout.last_checkpoint.name, ".safetensors", "checkpoint"
    )


def enclosing_study(root: Path, run_dir: Path, studies: list[Path]) -> str | None:
    """The name of the study folder that holds ``run_dir``, if any."""
    for study in studies:
        if run_dir.is_relative_to(study):
            return relative_name(root, study)
    return None
