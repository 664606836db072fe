"""``ganforge export``: share a trained generator as a Hugging Face Hub model folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ganforge.cli.generate import CheckpointOpt, RunArg
from ganforge.generation.export import export_model


def export(
    run_dir: RunArg,
    out_dir: Annotated[Path, typer.Argument(help="The folder to write the model into.")],
    checkpoint: CheckpointOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Export into a folder that is not empty.")
    ] = False,
) -> None:
    """Write the run's generator as a Hugging Face Hub model folder: model.safetensors
    (the sampling generator alone), config.json, a model card README.md and grid.png.

    [bold]Examples[/]

      ganforge export runs/dcgan-20261122-101010 models/dcgan-mnist
      ganforge export runs/acgan-…/checkpoints/epoch_0010.safetensors models/acgan-e10
    """
    written = export_model(run_dir, out_dir, force=force, checkpoint=checkpoint)
    console = Console(stderr=True)
    for path in written:
        console.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)
