"""ganforge's one progress display: the training loop's live line (:class:`ProgressDisplay`:
D loss, G loss, D(x), D(G(z)), images/s and ETA) and any other task counted in steps
(:class:`TaskProgress`: training the evaluator, embedding images for Inception FID).

On a terminal each is a rich progress bar; elsewhere (CI, a log file) it prints plain lines
instead, so non-interactive runs still show how the work goes; ``quiet`` shows nothing.
"""

from __future__ import annotations

import functools
import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def format_stats(stats: dict[str, float]) -> str:
    """``D 1.234 G 0.876 D(x) 0.61 D(G(z)) 0.38`` plus any extra statistics."""
    names = {"d_loss": "D", "g_loss": "G", "d_real": "D(x)", "d_fake": "D(G(z))"}
    parts = [f"{label} {stats[key]:.3f}" for key, label in names.items() if key in stats]
    skip = {*names, "step", "epoch", "time"}
    parts += [f"{k} {v:.3f}" for k, v in stats.items() if k not in skip]
    return "  ".join(parts)


@functools.cache
def stderr_console() -> Console:
    """The one console every display shows on by default. One, so that a bar started while
    another is live (the evaluator trained at a run's first ``--eval-every`` evaluation) is
    drawn nested under it rather than two bars redrawing the same lines. It looks up
    ``sys.stderr`` at each write, so redirecting stderr later still works."""
    return Console(stderr=True)


class _Output:
    """What both displays share: where they show (a rich bar when ``interactive``, which
    defaults to whether the console is a terminal; plain stderr lines otherwise; nothing when
    ``quiet``) and the bar's lifetime as a context manager."""

    def __init__(
        self, console: Console | None, interactive: bool | None, quiet: bool, description: str
    ) -> None:
        self.quiet = quiet
        self.console = console or stderr_console()
        self.interactive = self.console.is_terminal if interactive is None else interactive
        self.description = description
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def _start(self, columns: tuple[ProgressColumn, ...], **task: object) -> None:
        """Show the bar (when interactive and not quiet) with one task of ``columns``."""
        if self.interactive and not self.quiet:
            self._progress = Progress(*columns, console=self.console)
            self._progress.__enter__()
            self._task = self._progress.add_task(self.description, **task)  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)  # type: ignore[arg-type]


class ProgressDisplay(_Output):
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
        super().__init__(console, interactive, quiet, description)
        self.total = total
        self.start = start
        self._t0 = time.perf_counter()

    def __enter__(self) -> ProgressDisplay:
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TextColumn("[cyan]{task.fields[speed]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
        )
        self._start(columns, total=self.total, completed=self.start, stats="", speed="", eta="-")
        return self

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


class TaskProgress(_Output):
    """Context manager showing a task of ``total`` steps: a bar with a short status and rich's
    ETA, with :meth:`line` messages above it; on a non-terminal only the lines, as plain
    stderr lines; with ``quiet`` nothing."""

    def __init__(
        self,
        total: int,
        description: str,
        console: Console | None = None,
        interactive: bool | None = None,
        quiet: bool = False,
    ) -> None:
        super().__init__(console, interactive, quiet, description)
        self.total = total

    @classmethod
    def for_display(cls, display: bool | None, total: int, description: str) -> TaskProgress:
        """The evaluator's ``display`` convention: None a bar on a terminal and plain lines
        elsewhere, True always the bar, False nothing."""
        return cls(total, description, interactive=display, quiet=display is False)

    def __enter__(self) -> TaskProgress:
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        self._start(columns, total=self.total, stats="")
        return self

    def step(self, stats: str = "") -> None:
        """One step done; ``stats`` is the bar's status text (not shown as a plain line)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, stats=stats)

    def line(self, text: str) -> None:
        """A plain line, above the bar on a terminal (never read as rich markup, never
        wrapped: a path in it stays whole)."""
        if self._progress is not None:
            self.console.print(text, highlight=False, markup=False, soft_wrap=True)
        elif not self.quiet:
            print(text, file=sys.stderr, flush=True)
