"""The run's statistics: per-step rows (CSV, and the run's experiment trackers) and their
per-epoch means."""

from __future__ import annotations

import math

from ganforge.rundir.layout import RunLayout
from ganforge.rundir.metrics_log import CsvLog
from ganforge.rundir.trackers import Trackers


class RunLog:
    """Writes ``metrics/batches.csv`` and ``metrics/epochs.csv`` (and hands both to ``trackers``).

    Columns: step, epoch, time (training seconds) and the recipe's statistics. The current
    epoch's sums are kept in memory, so closing an epoch reads no file.
    """

    def __init__(
        self,
        layout: RunLayout,
        stat_names: tuple[str, ...],
        steps_per_epoch: int,
        trackers: Trackers | None = None,
    ) -> None:
        self.stat_names = stat_names
        self.steps_per_epoch = steps_per_epoch
        self.trackers = trackers if trackers is not None else Trackers()
        header = ["step", "epoch", "time", *stat_names]
        self.batches = CsvLog(layout.batches_csv, header)
        self.epochs = CsvLog(layout.epochs_csv, header)
        self._sums = dict.fromkeys(stat_names, 0.0)
        self._count = 0
        self.last_row: dict[str, float] = {}  # the row of the step training restarted at

    def start_at(self, step: int) -> None:
        """Forget rows after ``step`` (work about to be redone) and reload its epoch's sums."""
        self.batches.truncate_after(step)
        self.epochs.truncate_after(step)
        epoch_start = step - step % self.steps_per_epoch
        self._sums = dict.fromkeys(self.stat_names, 0.0)
        self._count = 0
        self.last_row = {}
        for row in self.batches.read():
            if row["step"] > epoch_start:
                self._add(row)
            if row["step"] == step:
                self.last_row = row

    def _add(self, row: dict[str, float]) -> None:
        for k in self.stat_names:
            self._sums[k] += row[k]
        self._count += 1

    def rows(
        self, values: list[list[float]], first_step: int, then: float, now: float
    ) -> list[dict[str, float]]:
        """Rows for steps ``first_step+1 …``, timed evenly between ``then`` and ``now``."""
        return interval_rows(self.stat_names, self.steps_per_epoch, values, first_step, then, now)

    def write(self, rows: list[dict[str, float]]) -> None:
        self.batches.write_rows(rows)
        for row in rows:
            self._add(row)
        self.trackers.on_log(rows)

    def close_epoch(self, epoch: int, step: int, elapsed: float) -> dict[str, float]:
        """Write the epoch's mean row and start summing the next epoch."""
        row: dict[str, float] = {"step": step, "epoch": epoch, "time": elapsed}
        for k in self.stat_names:
            row[k] = self._sums[k] / self._count if self._count else math.nan
        self.epochs.write_rows([row])
        self.trackers.on_epoch(row)
        self._sums = dict.fromkeys(self.stat_names, 0.0)
        self._count = 0
        return row


def interval_rows(
    stat_names: tuple[str, ...],
    steps_per_epoch: int,
    values: list[list[float]],
    first_step: int,
    then: float,
    now: float,
) -> list[dict[str, float]]:
    """One log interval's rows (see :meth:`RunLog.rows`), for a process that writes no log
    (a data-parallel process other than rank 0, which still judges them)."""
    out = []
    for i, vals in enumerate(values):
        step = first_step + i + 1
        row = {
            "step": step,
            "epoch": step / steps_per_epoch,
            "time": then + (now - then) * (i + 1) / len(values),
        }
        row.update(zip(stat_names, vals, strict=True))
        out.append(row)
    return out
