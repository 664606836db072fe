"""``ganforge.train``: train (or resume) a recipe from Python, with the keywords of
``ganforge train``'s flags, and the :class:`Run` it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from ganforge.config import RunConfig, TrainConfig, load_yaml, parse_assignments
from ganforge.engine.distributed import process_group
from ganforge.engine.trainer import Trainer, TrainResult
from ganforge.errors import ConfigError, GanforgeError
from ganforge.generation.export import export_model
from ganforge.progress import format_rate
from ganforge.rundir.layout import RunLayout, default_run_dir
from ganforge.rundir.records import read_json
from ganforge.setup.build import make_config, resume_config, with_flags

if TYPE_CHECKING:
    from ganforge.api.model import Model

Overrides = Sequence[str] | Mapping[str, Any] | None
TRAIN_KEYS = frozenset(f.name for f in fields(TrainConfig))


@dataclass
class Run:
    """A run directory that :func:`train` wrote (or :func:`open_run` found): ``dir``, the
    ``result`` of this session's training (None for a run found on disk), its
    :attr:`summary`, and :meth:`model` to sample from it. In Jupyter it shows its last grid."""

    dir: Path
    result: TrainResult | None = None

    @property
    def summary(self) -> dict[str, Any]:
        """``summary.json``: steps, epochs, time, final losses, … (empty before it exists)."""
        path = RunLayout(self.dir).summary
        return read_json(path, "run summary", ConfigError) if path.exists() else {}

    def model(self, device: str = "cpu", checkpoint: str | Path | None = None) -> Model:
        """The run's generator (its last checkpoint, or ``checkpoint``) on ``device``."""
        from ganforge.api.model import load

        return load(self.dir, checkpoint=checkpoint, device=device)

    def last_grid(self) -> Path | None:
        """The newest sample grid under ``samples/`` (None before the first)."""
        grids = sorted(RunLayout(self.dir).samples.glob("*.png"), key=lambda p: p.stat().st_mtime)
        return grids[-1] if grids else None

    def __repr__(self) -> str:
        try:
            s = self.summary
        except GanforgeError:  # an unreadable summary: the folder alone
            s = {}
        epochs = s.get("epochs")
        done = f", {s.get('recipe')}, {s.get('steps')} steps" if s else ""
        done += f", {epochs:.2f} epochs" if isinstance(epochs, int | float) else ""
        return f"Run({str(self.dir)!r}{done})"

    def _repr_png_(self) -> bytes | None:
        grid = self.last_grid()
        return grid.read_bytes() if grid is not None else None


def open_run(path: str | Path) -> Run:
    """The run in folder ``path`` (one that ``ganforge train`` or :func:`train` wrote)."""
    path = Path(path)
    if not RunLayout(path).config.exists():
        raise ConfigError(f"{path} is not a run directory (it has no config.yaml)")
    return Run(path)


def as_overrides(overrides: Overrides) -> dict[str, Any]:
    """``["model.dropout=0.2"]`` (as ``--set``) or ``{"model.dropout": 0.2}`` → the YAML
    file's shape, ``{"model": {"dropout": 0.2}}``."""
    if overrides is None:
        return {}
    if isinstance(overrides, str):
        overrides = [overrides]
    if isinstance(overrides, Mapping):
        nested = parse_assignments([f"{key}=0" for key in overrides])  # checks the keys
        for key, value in overrides.items():
            section, _, name = key.partition(".")
            nested[section][name] = value
        return nested
    return parse_assignments(list(overrides))


def train_config(
    recipe: str | None = None,
    *,
    config: str | Path | None = None,
    overrides: Overrides = None,
    resume: bool = False,
    out: str | Path | None = None,
    lr: float | None = None,
    augment: str | None = None,
    dataset: str | None = None,
    data: str | Path | None = None,
    test_data: str | Path | None = None,
    holdout: float | None = None,
    data_limit: int | None = None,
    data_fraction: float | None = None,
    data_limit_seed: int | None = None,
    **train_keys: Any,
) -> RunConfig:
    """The checked config :func:`train` would run with (the same arguments), nothing trained."""
    unknown = sorted(set(train_keys) - TRAIN_KEYS)
    if unknown:
        raise ConfigError(f"unknown training option(s) {', '.join(unknown)}; see TrainConfig")
    flags = {"lr_g": lr, "lr_d": lr, "augment": augment}
    paths = [None if p is None else Path(p) for p in (data, test_data)]
    subset = {"data_limit": data_limit, "data_fraction": data_fraction}
    subset["data_limit_seed"] = data_limit_seed
    given = as_overrides(overrides)
    merged = with_flags(given, train_keys, flags, dataset, *paths, holdout, subset)
    if not resume:
        return make_config(recipe, None if config is None else Path(config), merged)
    if out is None:
        raise ConfigError("--resume needs --out RUN_DIR, the run to continue")
    if config is not None:
        raise ConfigError("--config cannot be combined with --resume: the run's config is used")
    saved = load_yaml(RunLayout(Path(out)).config)
    new_epochs = train_keys.get("epochs") is not None and train_keys.get("steps") is None
    return resume_config(saved, merged, recipe, new_epochs)


def train(
    recipe: str | None = None,
    *,
    data: str | Path | None = None,
    dataset: str | None = None,
    data_dir: str | Path | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    **options: Any,
) -> Run:
    """Train (or, with ``resume=True``, continue) a recipe and write its run directory.

    The keywords are ``ganforge train``'s flags: ``data`` (your images), ``dataset``,
    ``data_dir``, ``test_data``, ``holdout``, ``data_limit``, ``data_fraction`` and
    ``data_limit_seed`` (a seeded, class-balanced subset of the training split), ``epochs``,
    ``steps``, ``batch_size``, ``lr``, ``augment`` ("none", "diffaugment" or "ada":
    ``model.augment``), ``seed``, ``device``, ``out`` (default ``runs/RECIPE-TIME``),
    ``resume``, ``config`` (a YAML file) and ``overrides`` (``["model.dropout=0.2"]`` or
    ``{"model.dropout": 0.2}``, as ``--set``); any other ``train`` config key too
    (``precision="bf16"``, ``sample_every="100steps"``, ``eval_every=1``, …). ``progress``:
    True a live bar, False plain status lines, None (default) a bar on a terminal and plain
    lines elsewhere (a notebook, a log). Errors are the CLI's one-line
    :class:`~ganforge.GanforgeError`.

    >>> run = train("dcgan", epochs=5, out="runs/mine")     # doctest: +SKIP
    """
    cfg = train_config(recipe, data=data, dataset=dataset, resume=resume, out=out, **options)
    return run_training(cfg, out, data_dir, resume, progress)


def run_training(
    cfg: RunConfig,
    out: str | Path | None,
    data_dir: str | Path | None,
    resume: bool,
    progress: bool | None,
) -> Run:
    """Train (or resume) ``cfg`` into ``out`` (default: a new folder under runs/), saying
    where on stderr before and what it wrote after (rank 0 alone under torchrun)."""
    console = Console(stderr=True)
    data_dir = None if data_dir is None else Path(data_dir)
    # Under torchrun: this process's place among the data-parallel ones (see
    # ganforge.engine.distributed); outside it, one process and no process group.
    with process_group(cfg.train) as dist:
        # Rank 0's clock names a default run directory for all processes.
        run_dir = Path(dist.broadcast_text(str(out or default_run_dir(cfg.recipe))))
        trainer = Trainer(
            cfg, run_dir, data_dir=data_dir, resume=resume, display=progress, dist=dist
        )
        what = "resuming" if resume else "training"
        where = f"{trainer.device}" + (
            f" × {dist.world_size} processes, {dist.backend}" if dist.enabled else ""
        )
        if dist.is_main:
            console.print(
                f"[bold]ganforge[/] {what} [bold]{cfg.recipe}[/] on {cfg.dataset} "
                f"({trainer.data.source}, {where}) → {run_dir}",
                highlight=False,
                soft_wrap=True,  # a path is never split over lines in a log
            )
        result = trainer.run(exporter=export_model)
    if dist.is_main:
        console.print(
            f"done: {result.step} steps ({result.epochs_done:.2f} epochs) "
            f"in {result.wall_time_s:.1f}s, {format_rate(result.images_per_s)} img/s\n"
            f"outputs in {run_dir}/: samples/, progress.gif, plots/, metrics/, checkpoints/, "
            "summary.json",
            soft_wrap=True,
        )
    return Run(run_dir, result)
