"""``ganforge sample`` and ``ganforge interpolate``: use a trained generator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import torch
import typer
from PIL import Image
from rich.console import Console

from ganforge.generation import interpolation_latents, load_model, sample_labels
from ganforge.reporting import save_gif, save_grid, save_strip

RunArg = Annotated[Path, typer.Argument(help="Run directory (or a checkpoint .safetensors file).")]
CheckpointOpt = Annotated[
    Path | None, typer.Option(help="A checkpoint other than the run's last one.")
]


def sample(
    run_dir: RunArg,
    n: Annotated[int, typer.Option(min=1, max=100_000, help="How many images.")] = 64,
    class_: Annotated[
        int | None, typer.Option("--class", help="Class to draw (conditional recipes).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Latent seed: same seed, same digits.")] = 0,
    grid: Annotated[Path | None, typer.Option(help="Write one grid PNG here.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write one PNG per image into this folder.")
    ] = None,
    npy: Annotated[
        Path | None, typer.Option(help="Write uint8 N×28×28 (+ _labels.npy if conditional).")
    ] = None,
    checkpoint: CheckpointOpt = None,
    device: Annotated[str, typer.Option(help="cpu, cuda, auto, ...")] = "cpu",
) -> None:
    """Generate images from a trained run.

    [bold]Examples[/]

      ganforge sample runs/dcgan-20261122-101010 --n 64 --grid digits.png
      ganforge sample runs/acgan-… --class 7 --n 100 --npy sevens.npy
      ganforge sample runs/gan-… --n 10000 --npy samples.npy     (for ganforge evaluate)
    """
    model = load_model(run_dir, checkpoint, device)
    model.check_class(class_)
    labels = sample_labels(model, n, class_)
    z = model.latents(seed, n)
    chunks = [
        model.generate(z[i : i + 512], None if labels is None else labels[i : i + 512])
        for i in range(0, n, 512)
    ]
    images = torch.cat(chunks)
    console = Console(stderr=True)
    if grid is None and out is None and npy is None:
        grid = (
            Path(run_dir if Path(run_dir).is_dir() else ".") / "generated" / f"grid_seed{seed}.png"
        )
    written = []
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
        npy.parent.mkdir(parents=True, exist_ok=True)
        np.save(npy, u8)
        written.append(npy)
        if labels is not None:
            label_path = npy.with_name(npy.stem + "_labels.npy")
            np.save(label_path, labels.numpy().astype(np.int64))
            written.append(label_path)
    for path in written:
        console.print(f"wrote {path}")


def interpolate(
    run_dir: RunArg,
    from_: Annotated[int, typer.Option("--from", help="Seed of the first latent.")] = 0,
    to: Annotated[int, typer.Option(help="Seed of the last latent.")] = 1,
    steps: Annotated[int, typer.Option(min=2, max=256, help="Images along the path.")] = 10,
    class_: Annotated[
        int | None, typer.Option("--class", help="Class to hold fixed (conditional recipes).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Strip PNG path (the GIF goes beside it).")
    ] = None,
    checkpoint: CheckpointOpt = None,
    device: Annotated[str, typer.Option(help="cpu, cuda, auto, ...")] = "cpu",
) -> None:
    """Walk the latent space between two seeds: a strip PNG and an animated GIF.

    [bold]Examples[/]

      ganforge interpolate runs/dcgan-… --from 3 --to 11 --steps 12
      ganforge interpolate runs/acgan-… --from 0 --to 5 --class 4 --out four.png
    """
    model = load_model(run_dir, checkpoint, device)
    model.check_class(class_)
    if model.conditional and class_ is None:
        class_ = 0
    z = interpolation_latents(model, from_, to, steps)
    labels = sample_labels(model, steps, class_)
    images = model.generate(z, labels)
    if out is None:
        base = Path(run_dir) if Path(run_dir).is_dir() else Path(".")
        out = base / "generated" / f"interpolate_{from_}_{to}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    strip = save_strip(images, out, model.transform.bounds)
    frames_dir = out.with_name(out.stem + "_frames")
    frames_dir.mkdir(exist_ok=True)
    frames = [
        save_grid(images[i : i + 1], frames_dir / f"frame_{i:03d}.png", 1, model.transform.bounds)
        for i in range(steps)
    ]
    gif = save_gif(
        frames + frames[-2:0:-1], out.with_suffix(".gif"), duration_ms=120, final_hold_ms=120
    )
    console = Console(stderr=True)
    console.print(f"wrote {strip}\nwrote {gif}")
