"""``ganforge train``: train (or resume) a recipe and write its run directory."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ganforge.cli.options import (
    data_dir_option,
    data_option,
    dataset_option,
    holdout_option,
    parse_epochs,
    test_data_option,
)
from ganforge.config import (
    DIST_BACKENDS,
    ON_DIVERGE,
    PRECISIONS,
    RunConfig,
    load_yaml,
    parse_assignments,
)
from ganforge.config.bounds import BATCH_MAX, EVAL_SAMPLES_MAX, SEED_MAX
from ganforge.config.layouts import GRID_LAYOUTS
from ganforge.engine.distributed import process_group
from ganforge.engine.trainer import Trainer
from ganforge.errors import ConfigError
from ganforge.progress import format_rate
from ganforge.rundir.layout import RunLayout, default_run_dir
from ganforge.setup.build import make_config, resume_config, with_flags

EXAMPLES = """
[bold]Examples[/]

  ganforge train dcgan --epochs 5
  ganforge train acgan --data-dir ~/data/mnist --batch-size 128 --lr 1e-4
  ganforge train acgan --data ~/my-digits --steps 2000   (class sub-folders of images)
  ganforge train wgan-gp --config my.yaml --set model.gp_weight=5 --out runs/wgan
  ganforge train --resume --out runs/wgan --epochs 20      (continue a run, longer)
  ganforge train gan --on-diverge rollback                 (a NaN: retry, slower)
  ganforge train dcgan --device cuda --precision bf16 --compile   (on a GPU)
  ganforge train acgan --sample-at 1,5,10 --grid-layout per-class --plain > train.log
  ganforge train dcgan --sample-every 500steps --grid 4x4   (a 16-sample grid every 500 steps)
  ganforge train dcgan --log-to mlflow,wandb   (also to MLflow and W&B, local and offline)
  torchrun --nproc-per-node 4 -m ganforge train dcgan --batch-size 128 --out runs/dcgan4
                                        (4 GPUs; --batch-size is the global batch)
"""

# Choices (--help lists them, a wrong one is a usage error): the config's, so they never drift.
OnDiverge = Enum("OnDiverge", {value: value for value in ON_DIVERGE}, type=str)
PrecisionChoice = Enum("PrecisionChoice", {value: value for value in PRECISIONS}, type=str)
GridLayoutChoice = Enum("GridLayoutChoice", {value: value for value in GRID_LAYOUTS}, type=str)
DistBackendChoice = Enum("DistBackendChoice", {value: value for value in DIST_BACKENDS}, type=str)


def train(
    recipe: Annotated[
        str | None, typer.Argument(help="Recipe name (see `ganforge recipes`).")
    ] = None,
    dataset: Annotated[str | None, dataset_option(" [mnist]")] = None,
    data_dir: Annotated[Path | None, data_dir_option()] = None,
    data: Annotated[Path | None, data_option()] = None,
    test_data: Annotated[Path | None, test_data_option()] = None,
    holdout: Annotated[float | None, holdout_option()] = None,
    epochs: Annotated[int | None, typer.Option(min=1, help="Passes over the training set.")] = None,
    steps: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many G steps instead.")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Stop once this many training seconds have passed (evaluations excluded), "
            "with a final grid and checkpoint; 0: no limit.",
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, max=BATCH_MAX, help="Real images per D step (global under torchrun)."),
    ] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate of both G and D.")] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=SEED_MAX, help="Seed of weights, noise and data order."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML file: a small diff over the defaults.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override one key, e.g. --set model.dropout=0.2 (repeatable)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Run directory (default: runs/RECIPE-TIME).")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the run in --out from its last checkpoint.")
    ] = False,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda, cuda:N or mps.")] = None,
    precision: Annotated[
        PrecisionChoice | None,
        typer.Option(
            help="fp32 (default), bf16 (autocast of the D and G steps), or auto: bf16 where "
            "the device has it natively (bf16 GPUs, CPUs with AVX-512 BF16 or AMX).",
            case_sensitive=False,
        ),
    ] = None,
    compile_: Annotated[
        bool | None,
        typer.Option(
            "--compile/--no-compile",
            help="torch.compile G and D (opt-in: slower on small CPUs; try it on a GPU).",
        ),
    ] = None,
    sample_every: Annotated[
        str | None,
        typer.Option(
            metavar="N|Nsteps",
            help="Epochs between sample grids (2), or steps with a suffix (500steps); 0: only "
            "at --sample-at and the last.",
        ),
    ] = None,
    sample_at: Annotated[
        str | None,
        typer.Option(help="Also write grids at these epochs, comma-separated: 5,25,50,75,100."),
    ] = None,
    grid: Annotated[
        str | None,
        typer.Option(
            "--grid",
            metavar="RxC",
            help="Rows x columns of the sample grids: 8x8 (default, 64 samples), 4x4 (16), "
            "...; conditional recipes: one row per class, that many columns.",
        ),
    ] = None,
    grid_layout: Annotated[
        GridLayoutChoice | None,
        typer.Option(
            help="Final figure: 8x8 (default: the last grid), or samples/final.png in 2x5, "
            "5x5, 10x10, classes-5x6 (3 per class; conditional recipes), or per-class "
            "(conditional: samples/final_class_K.png, titled).",
        ),
    ] = None,
    checkpoint_every: Annotated[
        str | None,
        typer.Option(
            metavar="N|Nsteps", help="Epochs between kept checkpoints (2), or steps (500steps)."
        ),
    ] = None,
    log_every: Annotated[
        int | None,
        typer.Option(
            min=1, help="Steps between status lines (the interval of --plain) and CSV flushes."
        ),
    ] = None,
    plain: Annotated[
        bool,
        typer.Option(
            help="Plain status lines (D loss, G loss, D(x), D(G(z))), one per --log-every "
            "steps, even on a terminal: for log files and non-interactive runs."
        ),
    ] = False,
    tensorboard: Annotated[
        bool, typer.Option(help="Also write TensorBoard scalars and images.")
    ] = False,
    log_to: Annotated[
        str | None,
        typer.Option(help="Trackers: tensorboard,mlflow,wandb (pip extras; docs/cli.md)."),
    ] = None,
    eval_every: Annotated[
        str | None,
        typer.Option(
            metavar="N|Nsteps",
            help="Evaluate (FID, recall, ...) every N epochs, or steps (500steps); keeps "
            "best.safetensors.",
        ),
    ] = None,
    eval_samples: Annotated[
        int | None,
        typer.Option(min=100, max=EVAL_SAMPLES_MAX, help="Samples per evaluation [2000]."),
    ] = None,
    on_diverge: Annotated[
        OnDiverge | None,
        typer.Option(
            help="On a NaN/inf loss or weight: stop (the default), or rollback to the last "
            "checkpoint with halved learning rates (at most 3 times).",
            case_sensitive=False,
        ),
    ] = None,
    sync_bn: Annotated[
        bool | None,
        typer.Option(
            "--sync-bn/--no-sync-bn",
            help="Under torchrun on GPUs: batch norm statistics over all processes' batches "
            "(SyncBatchNorm). No effect on one process.",
        ),
    ] = None,
    dist_backend: Annotated[
        DistBackendChoice | None,
        typer.Option(
            help="Under torchrun: auto (NCCL on GPUs, gloo on CPUs), gloo or nccl.",
            case_sensitive=False,
        ),
    ] = None,
    dist_timeout: Annotated[
        float | None,
        typer.Option(
            help="Under torchrun: seconds a process waits for the others (a failed or hung "
            "process then ends the run) [300].",
        ),
    ] = None,
) -> None:
    """Train a recipe on MNIST, Fashion-MNIST or your images; write grids, logs, checkpoints."""
    flags: dict[str, Any] = {
        "epochs": epochs,
        "steps": steps,
        "time_limit": time_limit,
        "batch_size": batch_size,
        "seed": seed,
        "device": device,
        "precision": precision.value if precision is not None else None,
        "compile": compile_,
        "sample_every": sample_every,
        "sample_at": parse_epochs(sample_at) if sample_at is not None else None,
        "sample_grid": grid,
        "grid_layout": grid_layout.value if grid_layout is not None else None,
        "checkpoint_every": checkpoint_every,
        "log_every": log_every,
        "eval_every": eval_every,
        "eval_samples": eval_samples,
        "on_diverge": on_diverge.value if on_diverge is not None else None,
        "sync_bn": sync_bn,
        "dist_backend": dist_backend.value if dist_backend is not None else None,
        "dist_timeout": dist_timeout,
        "tensorboard": True if tensorboard else None,
        "log_to": log_to,
    }
    lrs = {"lr_g": lr, "lr_d": lr}
    overrides = with_flags(
        parse_assignments(set_ or []), flags, lrs, dataset, data, test_data, holdout
    )
    if resume:
        if out is None:
            raise ConfigError("--resume needs --out RUN_DIR, the run to continue")
        if config is not None:
            raise ConfigError("--config cannot be combined with --resume: the run's config is used")
        saved = load_yaml(RunLayout(out).config)
        new_epochs = epochs is not None and steps is None  # replaces an earlier --steps
        cfg = resume_config(saved, overrides, recipe, new_epochs)
    else:
        cfg = make_config(recipe, config, overrides)
    # All checks happen here. --plain is how this session shows progress, not part of the run.
    run_training(cfg, out, data_dir, resume, display=False if plain else None)


def run_training(
    cfg: RunConfig, out: Path | None, data_dir: Path | None, resume: bool, display: bool | None
) -> None:
    """Train (or resume) ``cfg`` into ``out`` (default: a new folder under runs/), saying
    where on stderr before and what it wrote after (rank 0 alone under torchrun)."""
    console = Console(stderr=True)
    # Under torchrun: this process's place among the data-parallel ones (see
    # ganforge.engine.distributed); outside it, one process and no process group.
    with process_group(cfg.train) as dist:
        # Rank 0's clock names a default run directory for all processes.
        run_dir = Path(dist.broadcast_text(str(out or default_run_dir(cfg.recipe))))
        trainer = Trainer(
            cfg, run_dir, data_dir=data_dir, resume=resume, display=display, dist=dist
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
        result = trainer.run()
    if dist.is_main:
        console.print(
            f"done: {result.step} steps ({result.epochs_done:.2f} epochs) "
            f"in {result.wall_time_s:.1f}s, {format_rate(result.images_per_s)} img/s\n"
            f"outputs in {run_dir}/: samples/, progress.gif, plots/, metrics/, checkpoints/, "
            "summary.json",
            soft_wrap=True,
        )


train.__doc__ = (train.__doc__ or "") + "\n" + EXAMPLES
