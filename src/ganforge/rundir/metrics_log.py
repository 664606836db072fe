"""Append-only CSV logs of training metrics, truncatable on resume."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ganforge.errors import GanforgeError, RunFileError
from ganforge.rundir.atomic import atomic_path, writing
from ganforge.rundir.records import read_bounded

__all__ = ["CsvLog", "read_csv_rows"]

# Rows always end in "\n" (csv's default is "\r\n"); a file not ending in it was cut mid-row.
_LINE_END = "\n"
MAX_BYTES = 2**30  # a million steps of statistics are about 200 MB


def _to_float(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan


def _read_complete(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of ``path``, dropping a torn last line and rows of the wrong width.

    A process killed during a write can leave a partial last line such as ``"1"`` of
    ``"123,0.5,..."``; it would parse as step 1, so any last line without a newline is
    discarded rather than trusted.
    """
    text = _read_text(path) if path.exists() else ""
    if text and not text.endswith(_LINE_END):
        text = text[: text.rfind(_LINE_END) + 1]
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:  # a NUL, a field over csv's limit
        raise RunFileError(f"{path} is not a metrics log ganforge wrote: {err}") from None
    if not records:
        return [], []
    header, body = records[0], records[1:]
    return header, [r for r in body if len(r) == len(header)]


def _read_text(path: Path) -> str:
    """The file as text, refused in one line if it is not UTF-8 or over :data:`MAX_BYTES`."""
    raw = read_bounded(path, MAX_BYTES, "metrics log", RunFileError)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RunFileError(f"{path} is not a metrics log ganforge wrote: not UTF-8 text") from None


def read_csv_rows(path: Path) -> list[dict[str, float]]:
    """Read a metrics CSV as dicts of floats; empty or non-numeric cells become NaN.

    A missing or empty file gives ``[]``. Torn last lines are skipped (see :class:`CsvLog`).
    """
    header, rows = _read_complete(Path(path))
    return [{k: _to_float(v) for k, v in zip(header, row, strict=True)} for row in rows]


class CsvLog:
    """A CSV file with a fixed header to which rows of metrics are appended.

    The header is written when the file is created. Reopening an existing file checks that
    its header is the same (a run resumed with different metrics would otherwise produce a
    misaligned file) and repairs a torn last line left by a crash, so appends start on a
    fresh line. Floats are written with ``repr`` precision, so values read back are exact.
    """

    def __init__(self, path: Path, fieldnames: Sequence[str]) -> None:
        self.path = Path(path)
        self.fieldnames = list(fieldnames)
        if not self.fieldnames or len(set(self.fieldnames)) != len(self.fieldnames):
            raise ValueError(f"fieldnames must be non-empty and unique, got {self.fieldnames}")
        if self.path.exists() and self.path.stat().st_size > 0:
            header, rows = _read_complete(self.path)
            if header != self.fieldnames:
                raise GanforgeError(
                    f"{self.path} has columns {header}, expected {self.fieldnames}; "
                    "use a new run directory or delete the file"
                )
            if not self.path.read_bytes().endswith(_LINE_END.encode()):
                self._rewrite(rows)
        else:
            self._rewrite([])

    def _rewrite(self, rows: Iterable[Sequence[str]]) -> None:
        # The file closes (inner context) before atomic_path moves it into place.
        with atomic_path(self.path) as tmp, tmp.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator=_LINE_END)
            writer.writerow(self.fieldnames)
            writer.writerows(rows)

    def write_rows(self, rows: Iterable[Mapping[str, object]]) -> None:
        """Append ``rows`` and flush. Missing keys are left empty; unknown keys raise. A full
        disk is a :class:`~ganforge.errors.WriteError`: the rows before stay, and a torn last
        row is dropped when the file is opened again."""
        with writing(self.path), self.path.open("a", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(
                f, fieldnames=self.fieldnames, lineterminator=_LINE_END, restval=""
            )
            writer.writerows(rows)
            f.flush()

    def truncate_after(self, step: int, key: str = "step") -> None:
        """Keep only rows with ``row[key] <= step``, rewriting the file atomically.

        Used on resume from a checkpoint taken at ``step``: rows logged after it by the
        interrupted run are dropped, so the resumed run's log equals an uninterrupted one.
        Kept rows are copied verbatim; rows whose ``key`` is not a number are dropped.
        """
        if key not in self.fieldnames:
            raise KeyError(f"{key!r} is not a column of {self.path} ({self.fieldnames})")
        _, rows = _read_complete(self.path)
        index = self.fieldnames.index(key)
        # NaN (non-numeric) compares False, so such rows are dropped.
        self._rewrite(r for r in rows if _to_float(r[index]) <= step)

    def read(self) -> list[dict[str, float]]:
        """All complete rows as dicts of floats (empty or non-numeric cells are NaN)."""
        return read_csv_rows(self.path)
