"""Exceptions that carry a one-line, user-facing message.

The CLI catches :class:`GanforgeError` and prints its message without a traceback, so every
message says what was wrong and what was expected.
"""

from __future__ import annotations

from pathlib import Path


class GanforgeError(Exception):
    """Base class of every error ganforge reports to the user in one line."""


class DataError(GanforgeError):
    """A dataset file is missing, corrupt, or not what was expected."""


class DownloadError(DataError):
    """No mirror delivered a file whose size and checksum match the published ones."""


class ConfigError(GanforgeError):
    """A configuration key or value is unknown, of the wrong type, or impossible."""


class CheckpointError(GanforgeError):
    """A checkpoint file is missing, truncated, unsafe, or from another recipe."""


class RunFileError(GanforgeError):
    """A file in a run folder is unreadable, too large, or not what ganforge writes there."""


class DependencyError(GanforgeError):
    """An optional package or a downloadable file that a requested feature needs is missing."""


class WriteError(GanforgeError):
    """A file could not be written: its disk is full or over quota, or it may not be written
    there (permission denied, a read-only file system).

    The message names the file, says whether the file there before is intact (an atomic
    write leaves it so) and ends in what to do, which :meth:`advise` replaces: a training
    says how to resume, a study how to continue.
    """

    def __init__(
        self,
        path: Path | str,
        reason: str,
        full: bool,
        what: str = "",
        kept: bool = False,
        advice: str = "",
    ) -> None:
        self.path, self.reason, self.full = Path(path), reason, full
        self.what, self.kept = what, kept
        self.advice = advice or self.default_advice()
        super().__init__(f"{self.problem}; {self.advice}")

    @property
    def problem(self) -> str:
        """``could not write checkpoint PATH: No space left on device (the previous ...)``."""
        what = f"{self.what} " if self.what else ""
        kept = f" (the previous {self.what or 'file'} there is intact)" if self.kept else ""
        return f"could not write {what}{self.path}: {self.reason}{kept}"

    def remedy(self) -> str:
        """What frees the way: ``free space``, or make the folder writable."""
        if self.full:
            return "free space"
        return f"make {self.path.parent} writable (or write elsewhere)"

    def default_advice(self) -> str:
        return f"{self.remedy()}, then run the same command again"

    def advise(self, advice: str) -> WriteError:
        """The same failure, with ``advice`` as what to do."""
        return type(self)(self.path, self.reason, self.full, self.what, self.kept, advice)

    def __reduce__(self) -> tuple[type[WriteError], tuple[object, ...]]:  # pickles whole
        return type(self), (self.path, self.reason, self.full, self.what, self.kept, self.advice)


class CheckpointWriteError(WriteError, CheckpointError):
    """A safetensors file (a checkpoint, the evaluator, cached statistics) could not be
    written: a :class:`WriteError` and a :class:`CheckpointError` both."""
