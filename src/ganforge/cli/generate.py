"""``ganforge sample`` and ``ganforge interpolate``: use a trained generator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ganforge.api.model import load
from ganforge.cli.train import GridLayoutChoice
from ganforge.config import SEED_MAX
from ganforge.errors import ConfigError
from ganforge.generation.files import (
    default_output,
    write_interpolation,
    write_layout,
    write_samples,
)

RunArg = Annotated[Path, typer.Argument(help="Run directory (or a checkpoint .safetensors file).")]
CheckpointOpt = Annotated[Path | None, typer.Option(help="A checkpoint other than the run's last.")]
DeviceOpt = Annotated[str, typer.Option(help="cpu, cuda, cuda:N, mps or auto.")]
ClassOpt = Annotated[
    str | None,
    typer.Option(
        "--class",
        metavar="C",
        help="Class to draw (conditional recipes): its index, or its name as the run's data "
        "names it (Bag, 7, a class folder's name; any case).",
    ),
]


def sample(
    run_dir: RunArg,
    n: Annotated[int | None, typer.Option(min=1, max=100_000, help="How many images [64].")] = None,
    class_: ClassOpt = None,
    seed: Annotated[
        int, typer.Option(min=0, max=SEED_MAX, help="Latent seed: same seed, same digits.")
    ] = 0,
    grid: Annotated[Path | None, typer.Option(help="Write one grid PNG here.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write one PNG per image into this folder.")
    ] = None,
    npy: Annotated[
        Path | None, typer.Option(help="Write uint8 N×28×28 (+ NAME_labels.npy if conditional).")
    ] = None,
    grid_layout: Annotated[
        GridLayoutChoice | None,
        typer.Option(
            help="Draw this figure as `train --grid-layout` does (8x8, 2x5, 5x5, 10x10, "
            "classes-5x6, per-class) into --grid; per-class writes GRID_class_K.png."
        ),
    ] = None,
    checkpoint: CheckpointOpt = None,
    device: DeviceOpt = "cpu",
) -> None:
    """Generate images from a trained run (default: a grid in RUN_DIR/generated/).

    [bold]Examples[/]

      ganforge sample runs/dcgan-20261122-101010 --n 64 --grid digits.png
      ganforge sample runs/acgan-… --class 7 --n 100 --npy sevens.npy
      ganforge sample runs/acgan-fashion-… --class Bag --grid bags.png
      ganforge sample runs/acgan-own-… --class eight   (a class folder's name)
      ganforge sample runs/gan-… --n 10000 --npy samples.npy --seed 1
      ganforge sample runs/acgan-… --grid-layout per-class --grid classes.png
    """
    if grid_layout is not None:
        if n is not None or class_ is not None or out is not None or npy is not None:
            raise ConfigError(
                "--grid-layout chooses the images itself: it takes --grid, --seed, "
                "--checkpoint and --device, not --n, --class, --out or --npy"
            )
        model = load(run_dir, checkpoint=checkpoint, device=device).trained
        name = grid_layout.value
        grid = grid or default_output(run_dir, f"{name}_seed{seed}.png")
        _print_written(write_layout(model, name, seed, grid))
        return
    model = load(run_dir, checkpoint=checkpoint, device=device).trained
    cls = model.class_index(class_)
    if grid is None and out is None and npy is None:
        grid = default_output(run_dir, f"grid_seed{seed}.png")
    n = 64 if n is None else n
    _print_written(write_samples(model, n, cls, seed, grid, out, npy))


def _print_written(paths: list[Path]) -> None:
    console = Console(stderr=True)
    for path in paths:
        console.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)


def interpolate(
    run_dir: RunArg,
    from_: Annotated[
        int, typer.Option("--from", min=0, max=SEED_MAX, help="Seed of the first latent.")
    ] = 0,
    to: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed of the last latent.")] = 1,
    steps: Annotated[int, typer.Option(min=2, max=256, help="Images along the path.")] = 10,
    class_: ClassOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Strip PNG path (the GIF goes beside it).")
    ] = None,
    checkpoint: CheckpointOpt = None,
    device: DeviceOpt = "cpu",
) -> None:
    """Walk the latent space between two seeds: a strip PNG and an animated GIF.

    Gaussian latents are interpolated spherically (slerp), uniform ones linearly. For a
    conditional recipe the class is held fixed (--class, default 0).

    [bold]Examples[/]

      ganforge interpolate runs/dcgan-… --from 3 --to 11 --steps 12
      ganforge interpolate runs/acgan-… --from 0 --to 5 --class 4 --out four.png
      ganforge interpolate runs/acgan-fashion-… --class Sneaker --steps 16
    """
    model = load(run_dir, checkpoint=checkpoint, device=device).trained
    cls = model.class_index(class_)
    out = out or default_output(run_dir, f"interpolate_{from_}_{to}.png")
    strip, gif = write_interpolation(model, from_, to, steps, cls, out)
    Console(stderr=True).print(
        f"wrote {strip}\nwrote {gif}", highlight=False, markup=False, soft_wrap=True
    )
