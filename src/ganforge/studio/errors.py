"""The studio's one error type: an HTTP status and a one-line message, sent as JSON."""

from __future__ import annotations


class StudioError(Exception):
    """A request the studio refuses: ``status`` (4xx) and a one-line ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> StudioError:
    """400: a parameter is malformed, out of its bounds or not for this run."""
    return StudioError(400, message)


def not_found(message: str) -> StudioError:
    """404: no such run, study or file under the runs folder."""
    return StudioError(404, message)


def conflict(message: str) -> StudioError:
    """409: the run exists but cannot be used as asked (e.g. its checkpoint is corrupt)."""
    return StudioError(409, message)
