"""``ganforge sample`` and ``ganforge interpolate``: use a trained generator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from PIL import Image
from rich.console import Console

from ganforge.cli.train import GridLayoutChoice
from ganforge.config.layouts import plan_layout
from ganforge.data import DATASETS
from ganforge.errors import ConfigError
from ganforge.figures.images import grid_image, save_gif, save_grid, save_strip
from ganforge.generation import (
    TrainedModel,
    interpolation_latents,
    layout_samples,
    load_model,
    sample_labels,
)
from ganforge.setup import check_grid_layout

RunArg = Annotated[Path, typer.Argument(help="Run directory (or a checkpoint .safetensors file).")]
CheckpointOpt = Annotated[Path | None, typer.Option(help="A checkpoint other than the run's last.")]
DeviceOpt = Annotated[str, typer.Option(help="cpu, cuda, cuda:N, mps or auto.")]
ClassOpt = Annotated[
    int | None, typer.Option("--class", help="Class to draw (conditional recipes).")
]


def default_output(run_dir: Path, name: str) -> Path:
    """``RUN_DIR/generated/NAME`` for a run directory, ``./generated/NAME`` for a file."""
    base = Path(run_dir) if Path(run_dir).is_dir() else Path(".")
    return base / "generated" / name


def sample(
    run_dir: RunArg,
    n: Annotated[int | None, typer.Option(min=1, max=100_000, help="How many images [64].")] = None,
    class_: ClassOpt = None,
    seed: Annotated[int, typer.Option(help="Latent seed: same seed, same digits.")] = 0,
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
      ganforge sample runs/gan-… --n 10000 --npy samples.npy --seed 1
      ganforge sample runs/acgan-… --grid-layout per-class --grid classes.png
    """
    if grid_layout is not None:
        if n is not None or class_ is not None or out is not None or npy is not None:
            raise ConfigError(
                "--grid-layout chooses the images itself: it takes --grid, --seed, "
                "--checkpoint and --device, not --n, --class, --out or --npy"
            )
        model = load_model(run_dir, checkpoint, device)
        name = grid_layout.value
        grid = grid or default_output(run_dir, f"{name}_seed{seed}.png")
        _print_written(write_layout(model, name, seed, grid))
        return
    n = 64 if n is None else n
    model = load_model(run_dir, checkpoint, device)
    model.check_class(class_)
    labels = sample_labels(model, n, class_)
    images = model.recipe.sample_images(model.latents(seed, n), labels)
    if grid is None and out is None and npy is None:
        grid = default_output(run_dir, f"grid_seed{seed}.png")
    written: list[Path] = []
    if grid is not None:
        nrow = model.recipe.num_classes if labels is not None and class_ is None else 8
        grid.parent.mkdir(parents=True, exist_ok=True)
        written.append(save_grid(images, grid, nrow, model.transform.bounds))
    u8 = model.transform.to_uint8(images).cpu().numpy()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(u8):
            suffix = f"_class{int(labels[i])}" if labels is not None else ""
            Image.fromarray(img, mode="L").save(out / f"{i:05d}{suffix}.png")
        written.append(out)
    if npy is not None:
        npy = npy if npy.suffix == ".npy" else npy.with_name(npy.name + ".npy")  # as np.save does
        npy.parent.mkdir(parents=True, exist_ok=True)
        np.save(npy, u8)
        written.append(npy)
        if labels is not None:
            label_path = npy.with_name(npy.stem + "_labels.npy")
            np.save(label_path, labels.numpy().astype(np.int64))
            written.append(label_path)
    _print_written(written)


def write_layout(model: TrainedModel, layout: str, seed: int, grid: Path) -> list[Path]:
    """The figure(s) of ``layout`` with latents from ``seed``: ``grid``, or for a layout of
    several pages one file per page, named ``grid``'s stem + the page's suffix."""
    check_grid_layout(layout, model.config.recipe)
    classes = DATASETS[model.config.dataset].class_names if model.conditional else None
    grid.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for page, images in layout_samples(model.recipe, plan_layout(layout, classes), seed):
        path = grid.with_name(f"{grid.stem}{page.suffix}{grid.suffix}")
        written.append(save_grid(images, path, page.columns, model.transform.bounds, page.title))
    return written


def _print_written(paths: list[Path]) -> None:
    console = Console(stderr=True)
    for path in paths:
        console.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)


def interpolate(
    run_dir: RunArg,
    from_: Annotated[int, typer.Option("--from", help="Seed of the first latent.")] = 0,
    to: Annotated[int, typer.Option(help="Seed of the last latent.")] = 1,
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
    """
    model = load_model(run_dir, checkpoint, device)
    model.check_class(class_)
    if model.conditional and class_ is None:
        class_ = 0
    z = interpolation_latents(model, from_, to, steps)
    images = model.recipe.sample_images(z, sample_labels(model, steps, class_))
    out = out or default_output(run_dir, f"interpolate_{from_}_{to}.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    strip = save_strip(images, out, model.transform.bounds)
    frames = [grid_image(images[i : i + 1], 1, model.transform.bounds) for i in range(steps)]
    # There and back again, so the looping GIF has no jump.
    gif = save_gif(
        frames + frames[-2:0:-1], out.with_suffix(".gif"), duration_ms=120, final_hold_ms=120
    )
    Console(stderr=True).print(
        f"wrote {strip}\nwrote {gif}", highlight=False, markup=False, soft_wrap=True
    )
