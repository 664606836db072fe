"""``ganforge studio``: serve the local web page over a runs folder."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import torch
import typer
from rich.console import Console

from ganforge.errors import ConfigError
from ganforge.studio.cache import DEFAULT_SIZE

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def served_hosts(host: str) -> list[str]:
    """The ``Host`` headers to answer: the loopback names, plus ``host`` itself; any for a
    wildcard address (0.0.0.0, ::), whose names this machine cannot know."""
    bare = host.strip("[]")
    if bare in ("0.0.0.0", "::"):
        return ["*"]
    return ["127.0.0.1", "localhost", "::1", bare]


def studio(
    runs: Annotated[
        Path, typer.Option(help="The folder that holds runs (searched recursively).")
    ] = Path("runs"),
    host: Annotated[
        str, typer.Option(help="Address to listen on; any but loopback lets other machines in.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    cache: Annotated[
        int, typer.Option(min=1, max=64, help="Generators kept in memory at once.")
    ] = DEFAULT_SIZE,
    threads: Annotated[
        int,
        typer.Option(
            min=1, max=256, help="CPU threads per generation (1 is fastest for small grids)."
        ),
    ] = 1,
) -> None:
    """A local web page: browse runs, generate digits live, interpolate, compare recipes.

    Runs are found under --runs, compare and ablate folders included (their results table
    and report.html). Nothing is written; checkpoints are read with safetensors only.

    [bold]Examples[/]

      ganforge studio                       # runs/ on http://127.0.0.1:8000
      ganforge studio --runs /tmp/cmp --port 8080
    """
    console = Console(stderr=True)
    if not runs.is_dir():
        raise ConfigError(f"--runs {runs} is not a folder (train a run into it first)")
    if not is_loopback(host):
        console.print(
            f"[bold yellow]warning:[/] listening on {host}: anyone who can reach this machine "
            "can see your runs and use its CPU; the studio has no login.",
            highlight=False,
        )
    # A grid of 64 digits is a few small matrix products: a second thread mostly waits for
    # the first, and on a busy 2-core machine one thread drew 64 dcgan digits in 28 ms where
    # two took 217 ms.
    torch.set_num_threads(threads)
    # Imported here: the app pulls in the web server, which other commands do not need.
    import uvicorn

    from ganforge.studio.app import create_app

    app = create_app(runs, cache_size=cache, hosts=served_hosts(host))
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"ganforge studio: http://{shown}:{port}/  (Ctrl-C stops it)",
        highlight=False,
        soft_wrap=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
