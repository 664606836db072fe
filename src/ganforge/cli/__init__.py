"""The ``ganforge`` command line: train, sample, interpolate, recipes.

Every user-facing error is a :class:`~ganforge.errors.GanforgeError` printed as one line with
a non-zero exit; tracebacks are for bugs only.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from ganforge.cli import generate as _generate
from ganforge.cli import recipes as _recipes
from ganforge.cli import train as _train
from ganforge.errors import GanforgeError
from ganforge.training.trainer import RunComplete, TrainingInterrupted

app = typer.Typer(
    name="ganforge",
    help="Train, watch, compare and use the classic GAN family on MNIST-like images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.command("train")(_train.train)
app.command("sample")(_generate.sample)
app.command("interpolate")(_generate.interpolate)
app.command("recipes")(_recipes.recipes)


def main() -> None:
    """Console-script entry point: typer reports usage errors (exit 2) itself; ganforge's own
    errors are printed here as one line, also exit 2."""
    console = Console(stderr=True)
    try:
        app()
    except RunComplete as done:
        console.print(str(done), highlight=False, soft_wrap=True)
        sys.exit(0)
    except TrainingInterrupted as stop:
        console.print(f"[bold yellow]stopped:[/] {stop}", highlight=False, soft_wrap=True)
        sys.exit(130)
    except GanforgeError as err:
        console.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except OSError as err:  # an unwritable output path, a full disk, ...
        where = f" ({err.filename})" if err.filename else ""
        console.print(f"[bold red]error:[/] {err.strerror or err}{where}", highlight=False)
        sys.exit(2)
