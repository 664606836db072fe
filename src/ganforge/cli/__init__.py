"""The ``ganforge`` command line: train, sample, interpolate, export, recipes, evaluate,
ablate, compare, studio.

Every user-facing error is a :class:`~ganforge.errors.GanforgeError` printed as one line with
a non-zero exit; tracebacks are for bugs only.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from ganforge import __version__
from ganforge.cli import ablate as _ablate
from ganforge.cli import compare as _compare
from ganforge.cli import evaluate as _evaluate
from ganforge.cli import evaluator as _evaluator
from ganforge.cli import export as _export
from ganforge.cli import generate as _generate
from ganforge.cli import recipes as _recipes
from ganforge.cli import studio as _studio
from ganforge.cli import train as _train
from ganforge.engine.trainer import RunComplete, TrainingInterrupted
from ganforge.errors import GanforgeError
from ganforge.setup.model_size import DEFAULT_LIMIT_MIB, LIMIT_ENV

app = typer.Typer(
    name="ganforge",
    help="Train, watch, compare and use the classic GAN family on MNIST-like images.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _print_version(value: bool) -> None:
    if value:
        print(f"ganforge {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print ganforge's version and exit.",
        ),
    ] = None,
    max_model_mib: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="Refuse models whose G and D hold more MiB of weights than this "
            f"(default {DEFAULT_LIMIT_MIB:g}; also {LIMIT_ENV}).",
        ),
    ] = None,
) -> None:
    """Options of every command."""
    if max_model_mib is not None:  # an environment variable: torchrun's processes see it too
        os.environ[LIMIT_ENV] = repr(max_model_mib)


app.command("train")(_train.train)
app.command("sample")(_generate.sample)
app.command("interpolate")(_generate.interpolate)
app.command("export")(_export.export)
app.command("recipes")(_recipes.recipes)
app.command("evaluate")(_evaluate.evaluate)
app.command("ablate")(_ablate.ablate)
app.command("compare")(_compare.compare)
app.command("studio")(_studio.studio)
app.add_typer(_evaluator.app, name="evaluator")


def main() -> None:
    """Console-script entry point: every error, a usage error included, is one line on stderr
    with a non-zero exit (2 for bad input, 130 for an interruption)."""
    console = Console(stderr=True)

    def fail(message: str, code: int = 2) -> NoReturn:
        console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        sys.exit(code)

    try:
        code = app(standalone_mode=False)
    except RunComplete as done:
        console.print(str(done), highlight=False, soft_wrap=True)
        sys.exit(0)
    except TrainingInterrupted as stop:
        console.print(
            f"[bold yellow]stopped:[/] {escape(str(stop))}", highlight=False, soft_wrap=True
        )
        sys.exit(130)
    except GanforgeError as err:
        fail(str(err))
    except typer.TyperException as err:  # click's usage errors: unknown option, bad value, ...
        if type(err).__name__ == "NoArgsIsHelpError":  # the help was printed already
            sys.exit(2)
        ctx = getattr(err, "ctx", None)
        hint = f"; see '{ctx.command_path} --help'" if ctx is not None else ""
        fail(err.format_message() + hint, getattr(err, "exit_code", 2))
    except OSError as err:  # an unwritable output path, a full disk, ...
        fail(f"{err.strerror or err}" + (f" ({err.filename})" if err.filename else ""))
    sys.exit(code if isinstance(code, int) else 0)
