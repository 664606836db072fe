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
from collections.abc import Iterable

from rich.console import Console, RenderableType
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
from rich.text import Text


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

    def _start(
        self, columns: tuple[ProgressColumn, ...], kind: type[Progress] = Progress, **task: object
    ) -> None:
        """Show the bar (when interactive and not quiet) with one task of ``columns``."""
        if self.interactive and not self.quiet:
            self._progress = kind(*columns, console=self.console)
            self._progress.__enter__()
            self._task = self._progress.add_task(self.description, **task)  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)  # type: ignore[arg-type]


class ProgressDisplay(_Output):
    """Context manager showing training progress over ``total`` steps, or with a
    ``time_limit`` (training seconds) that ends the run sooner, over that time budget: a run
    under ``compare --budget-minutes`` has a placeholder step total that it never reaches."""

    def __init__(
        self,
        total: int,
        start: int,
        description: str,
        console: Console | None = None,
        interactive: bool | None = None,
        quiet: bool = False,
        time_limit: float = 0.0,
    ) -> None:
        # quiet: shows nothing (a data-parallel process other than rank 0).
        super().__init__(console, interactive, quiet, description)
        self.total = total
        self.start = start
        self.time_limit = time_limit
        self._t0 = time.perf_counter()

    def __enter__(self) -> ProgressDisplay:
        # The statistics go on a line of their own (see _StatsBelow): in an 80-column
        # terminal one line cut them, the count and the ETA short.
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24 if self.console.width >= 100 else 12),
            TextColumn("{task.fields[count]}"),
            TextColumn("[cyan]{task.fields[speed]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
        )
        count = f"{self.start}/{self.total}"
        task = {"count": count, "stats": "", "speed": "", "eta": "-"}
        self._start(columns, _StatsBelow, total=self.total, completed=self.start, **task)
        return self

    def position(self, step: int, elapsed: float | None) -> tuple[str, float, float, float]:
        """Where the run is: its text (``step 20/1000``, or under a time budget that ends it
        first ``step 20, 3.1/12 s``), the bar's done and total, and the ETA in seconds (the
        steps' pace, or the time budget's rest where that ends the run sooner)."""
        pace = (time.perf_counter() - self._t0) / max(step - self.start, 1)
        eta = pace * max(self.total - step, 0)
        if not self.time_limit or elapsed is None:
            return f"step {step}/{self.total}", step, self.total, eta
        left = max(self.time_limit - elapsed, 0.0)
        if eta <= left:  # the steps end the run first: their count tells how far it is
            return f"step {step}/{self.total}", step, self.total, eta
        spent = f"{elapsed:.1f}/{self.time_limit:g} s"  # past the limit too: as it was
        return f"step {step}, {spent}", min(elapsed, self.time_limit), self.time_limit, left

    def update(
        self,
        step: int,
        epoch: float,
        stats: dict[str, float],
        images_per_s: float,
        elapsed: float | None = None,
    ) -> None:
        """Show ``step``, with ``elapsed`` the run's training seconds (which a time limit
        counts); see :meth:`position`."""
        if self.quiet:
            return
        speed = f"{format_rate(images_per_s)} img/s"
        where, done, total, eta = self.position(step, elapsed)
        over = step >= self.total or done >= total  # the run ends here: no work remains
        eta_text = format_eta(eta, over)
        if self._progress is not None:
            self._progress.update(
                self._task,
                completed=done,
                total=total,
                count=where.removeprefix("step "),
                stats=format_stats(stats),
                speed=speed,
                eta=eta_text,
            )
        else:
            print(
                f"{self.description} {where} epoch {epoch:.2f}  "
                f"{format_stats(stats)}  {speed}  ETA {eta_text}",
                file=sys.stderr,
                flush=True,
            )

    def message(self, text: str) -> None:
        """A line above the bar (or a plain line)."""
        if self.quiet:
            return
        self.console.print(text, highlight=False, soft_wrap=True)  # a log line stays one line


class _StatsBelow(Progress):
    """A progress bar with each task's statistics (its ``stats`` field) on the line below
    it, wrapped at the terminal's width rather than cut."""

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        for task in self.tasks:
            stats = str(task.fields.get("stats") or "")
            if stats:
                yield Text("  " + stats, overflow="fold")


def format_rate(per_s: float) -> str:
    """A rate at a precision that never shows a slow run as 0: ``12,345``, ``27.3``,
    ``1.37``, ``0.42``."""
    if per_s >= 100 or per_s == 0:
        return f"{per_s:,.0f}"
    return f"{per_s:.3g}" if per_s >= 1 else f"{per_s:.2g}"


def format_eta(seconds: float, over: bool = False) -> str:
    """``0s`` only when the work is ``over``; ``<1s`` while some remains; then ``42s``,
    ``3m 05s``, ``2h 04m``."""
    if over:
        return "0s"
    if seconds < 1:
        return "<1s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


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
