"""One training per run directory: an advisory lock on ``RUN_DIR/train.lock``.

The lock is ``flock(LOCK_EX | LOCK_NB)`` on an open file, so the kernel drops it when the
holder exits in any way (a crash, SIGKILL, a power cut of the process): a lock file left
behind never blocks the next run. The holder writes its PID into the file only so that a
refused second training can say who holds the directory, and deletes the file when it lets
go; a process that locked the file just before it was deleted notices (the inode at the path
is no longer the one it holds) and locks the new file instead. This module imports no torch,
so a lock can be taken (or probed from a test) cheaply.

Where there is no ``fcntl`` (Windows), the lock file is still created and removed but locks
nothing: two trainings into one directory are then not refused, and it is up to the user not
to start them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

from ganforge.errors import GanforgeError
from ganforge.rundir.atomic import writing
from ganforge.rundir.confine import confined

try:
    import fcntl
except ImportError:  # Windows: no flock; training runs there unlocked (see above)
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "train.lock"
# Each retry means another process deleted the file between our open and our flock, i.e.
# released a lock in that instant; more than a few in a row is not going to happen.
MAX_ATTEMPTS = 20


class RunLocked(GanforgeError):
    """Another process is training into the same run directory."""


class RunLock:
    """An exclusive, non-blocking lock on a run directory, held until :meth:`release`.

    Locks are per open file, not per process, so two trainers in one process exclude each
    other as two processes do.
    """

    def __init__(self, run_dir: Path) -> None:
        self._fd: int | None = None
        self.path = confined(Path(run_dir), Path(LOCK_NAME))

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        """Take the lock (creating the run directory) or raise :class:`RunLocked`; a folder
        that may not be written, or a full disk, is a :class:`~ganforge.errors.WriteError`."""
        with writing(self.path):
            return self._acquire()

    def _acquire(self) -> RunLock:
        if self._fd is not None:
            return self
        for _ in range(MAX_ATTEMPTS):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
            if fcntl is None:
                self._fd = fd
                return self
            self._lock(fd)
            if self._is_at_path(fd):
                break
            # The holder released and deleted the file after our open: we lock a file no one
            # else can find, so the next training would lock a new one beside us. Try again.
            os.close(fd)
        else:
            raise GanforgeError(f"could not lock {self.path}: it keeps being deleted")
        # Only now, as the holder: a refused process must not overwrite the holder's PID.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def _lock(self, fd: int) -> None:
        """flock ``fd`` or close it and raise a one-line error."""
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
        except OSError as err:  # e.g. ENOLCK on a network file system without locks
            os.close(fd)
            raise GanforgeError(
                f"could not lock {self.path}: {err.strerror or err}; "
                "use an --out on a local file system"
            ) from None

    def _is_at_path(self, fd: int) -> bool:
        """Whether the file ``fd`` holds is still the one at ``self.path``."""
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (held.st_ino, held.st_dev) == (at_path.st_ino, at_path.st_dev)

    def release(self) -> None:
        """Drop the lock and delete the lock file."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if fcntl is not None:
            # Deleted while still held, so whoever opened it before it was gone notices that
            # the file it then locks is no longer at the path (see ``_is_at_path``).
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
        os.close(fd)  # closing the only descriptor releases the flock
        if fcntl is None:  # Windows cannot delete an open file, and locks nothing anyway
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)

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
