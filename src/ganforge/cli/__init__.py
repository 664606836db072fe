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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, standalone_mode=False)
    except GanforgeError as err:
        Console(stderr=True).print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        sys.exit(130)
    except Exception as err:  # click's own usage errors arrive here in non-standalone mode
        import click

        if isinstance(err, click.exceptions.ClickException):
            err.show()
            sys.exit(err.exit_code)
        if isinstance(err, click.exceptions.Exit):
            sys.exit(err.exit_code)
        if isinstance(err, click.exceptions.Abort):
            sys.exit(130)
        raise
