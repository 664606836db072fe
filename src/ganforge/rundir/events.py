"""The run's event log, ``RUN_DIR/events.log``: warnings and recoveries in plain text.

The progress line scrolls away and a CI log gets lost; what went wrong during a run (a
discriminator that wins outright, a rollback after a NaN, a collapse warning) stays here,
one timestamped line each, appended across resumes.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ganforge.rundir.atomic import writing


class EventLog:
    """Appends ``YYYY-mm-dd HH:MM:SS step N: text`` lines to one file; with no file (a
    data-parallel process other than rank 0, which decides the same and writes nothing),
    :meth:`write` does nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = None if path is None else Path(path)

    def write(self, step: int, text: str) -> None:
        if self.path is None:
            return
        stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        # Opened and closed per line: events are rare, and the line is then with the OS before
        # training goes on, so a killed process keeps it (not fsynced: a power cut may not).
        with writing(self.path), open(self.path, "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} step {step}: {text}\n")

    def lines(self) -> list[str]:
        """Every line written so far (for tests and tools)."""
        if self.path is None or not self.path.exists():
            return []
        return self.path.read_text(encoding="utf-8").splitlines()
