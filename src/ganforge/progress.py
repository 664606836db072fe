"""The live progress line: D loss, G loss, D(x), D(G(z)), images/s and ETA.

On a terminal it is a rich progress bar; elsewhere (CI, a log file) it prints one plain line
per log interval instead, so non-interactive runs still show how training goes.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)


def format_stats(stats: dict[str, float]) -> str:
    """``D 1.234 G 0.876 D(x) 0.61 D(G(z)) 0.38`` plus any extra statistics."""
    names = {"d_loss": "D", "g_loss": "G", "d_real": "D(x)", "d_fake": "D(G(z))"}
    parts = [f"{label} {stats[key]:.3f}" for key, label in names.items() if key in stats]
    skip = {*names, "step", "epoch", "time"}
    parts += [f"{k} {v:.3f}" for k, v in stats.items() if k not in skip]
    return "  ".join(parts)


class ProgressDisplay:
    """Context manager showing training progress over ``total`` steps."""

    def __init__(
        self,
        total: int,
        start: int,
        description: str,
        console: Console | None = None,
        interactive: bool | None = None,
        quiet: bool = False,
    ) -> None:
        # quiet: shows nothing (a data-parallel process other than rank 0).
        self.quiet = quiet
        self.console = console or Console(stderr=True)
        self.interactive = self.console.is_terminal if interactive is None else interactive
        self.total = total
        self.start = start
        self.description = description
        self._progress: Progress | None = None
        self._task = None
        self._t0 = time.perf_counter()

    def __enter__(self) -> ProgressDisplay:
        if self.interactive and not self.quiet:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"),
                TextColumn("[cyan]{task.fields[speed]}"),
                TimeElapsedColumn(),
                TextColumn("ETA {task.fields[eta]}"),
                console=self.console,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(
                self.description,
                total=self.total,
                completed=self.start,
                stats="",
                speed="",
                eta="-",
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)  # type: ignore[arg-type]

    def update(
        self,
        step: int,
        epoch: float,
        stats: dict[str, float],
        images_per_s: float,
        time_left: float | None = None,
    ) -> None:
        """Show ``step``; the ETA is the steps' pace, or ``time_left`` (a run's time limit)
        when that ends it sooner."""
        if self.quiet:
            return
        speed = f"{images_per_s:,.0f} img/s"
        elapsed = time.perf_counter() - self._t0
        eta = elapsed / max(step - self.start, 1) * (self.total - step)
        if time_left is not None:
            eta = min(eta, max(time_left, 0.0))
        if self._progress is not None:
            self._progress.update(
                self._task,
                completed=step,
                stats=format_stats(stats),
                speed=speed,
                eta=f"{eta:.0f}s",
            )
        else:
            print(
                f"{self.description} step {step}/{self.total} epoch {epoch:.2f}  "
                f"{format_stats(stats)}  {speed}  ETA {eta:.0f}s",
                file=sys.stderr,
                flush=True,
            )

    def message(self, text: str) -> None:
        """A line above the bar (or a plain line)."""
        if self.quiet:
            return
        self.console.print(text, highlight=False, soft_wrap=True)  # a log line stays one line
