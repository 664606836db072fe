"""One training per run directory: an advisory lock on ``RUN_DIR/train.lock``.

The lock is ``flock(LOCK_EX | LOCK_NB)`` on an open file, so the kernel drops it when the
holder exits in any way (a crash, SIGKILL, a power cut of the process): a lock file left
behind never blocks the next run. The holder writes its PID into the file only so that a
refused second training can say who holds the directory. This module imports no torch,
so a lock can be taken (or probed from a test) cheaply.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from ganforge.errors import GanforgeError

try:
    import fcntl
except ImportError:  # Windows: no flock; training runs there unlocked
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "train.lock"


class RunLocked(GanforgeError):
    """Another process is training into the same run directory."""


class RunLock:
    """An exclusive, non-blocking lock on a run directory, held until :meth:`release`.

    Locks are per open file, not per process, so two trainers in one process exclude each
    other as two processes do.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        """Take the lock (creating the run directory) or raise :class:`RunLocked`."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is None:
            self._fd = fd
            return self
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"PID {holder}" if holder else "another process"
            raise RunLocked(
                f"{self.path.parent} is in use by another training ({who} holds {self.path}); "
                "wait for it to finish or choose another --out"
            ) from None
        except OSError:
            os.close(fd)
            raise
        # Only now, as the holder: a refused process must not overwrite the holder's PID.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock; the file stays (deleting it could race with a new holder)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        os.close(fd)  # closing the only descriptor releases the flock

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    """The PID the holder wrote, or None if it has not written it yet (or wrote garbage)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
