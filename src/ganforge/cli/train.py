"""``ganforge train``: train (or resume) a recipe and write its run directory."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from ganforge.api.run import train as api_train
from ganforge.cli.options import (
    data_dir_option,
    data_fraction_option,
    data_limit_option,
    data_limit_seed_option,
    data_option,
    dataset_option,
    holdout_option,
    parse_epochs,
    test_data_option,
)
from ganforge.config import AUGMENT_MODES, DIST_BACKENDS, ON_DIVERGE, PRECISIONS
from ganforge.config.bounds import BATCH_MAX, EVAL_SAMPLES_MAX, SEED_MAX
from ganforge.config.layouts import GRID_LAYOUTS

EXAMPLES = """
[bold]Examples[/]

  ganforge train dcgan --epochs 5
  ganforge train acgan --data-dir ~/data/mnist --batch-size 128 --lr 1e-4
  ganforge train acgan --data ~/my-digits --steps 2000   (class sub-folders of images)
  ganforge train dcgan --data-limit 1000 --seed 1    (100 of each digit, the same for any seed)
  ganforge train wgan-gp --config my.yaml --set model.gp_weight=5 --out runs/wgan
  ganforge train dcgan --augment ada --set model.ada_target=0.6   (few images: augment D's)
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
AugmentChoice = Enum("AugmentChoice", {value: value for value in AUGMENT_MODES}, type=str)
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
    data_limit: Annotated[int | None, data_limit_option()] = None,
    data_fraction: Annotated[float | None, data_fraction_option()] = None,
    data_limit_seed: Annotated[int | None, data_limit_seed_option()] = None,
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
    augment: Annotated[
        AugmentChoice | None,
        typer.Option(
            help="Augment every image D sees: none (default), diffaugment (always), or ada "
            "(with an adaptive probability); model.augment_* set it (docs/augment.md).",
            case_sensitive=False,
        ),
    ] = None,
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
    # All checks happen in the API's train. --plain is how this session shows progress, not
    # part of the run.
    api_train(
        recipe,
        data=data,
        dataset=dataset,
        data_dir=data_dir,
        test_data=test_data,
        holdout=holdout,
        data_limit=data_limit,
        data_fraction=data_fraction,
        data_limit_seed=data_limit_seed,
        out=out,
        resume=resume,
        progress=False if plain else None,
        config=config,
        overrides=set_ or [],
        lr=lr,
        augment=augment.value if augment is not None else None,
        **flags,
    )


train.__doc__ = (train.__doc__ or "") + "\n" + EXAMPLES
