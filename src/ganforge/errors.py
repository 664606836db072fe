"""Exceptions that carry a one-line, user-facing message.

The CLI catches :class:`GanforgeError` and prints its message without a traceback, so every
message says what was wrong and what was expected.
"""


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
