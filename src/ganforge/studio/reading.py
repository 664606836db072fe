"""Reading a run's (or a study's) files for the page: each one that is absent, unreadable,
too large, not what ganforge writes, or leading out of its folder (the path rule, see
:func:`~ganforge.rundir.confine.confined`) is read as absent, so one hostile file never
hides the rest of a run or fails a request."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ganforge.config import load_yaml
from ganforge.errors import GanforgeError
from ganforge.rundir.confine import UnsafePathError, confined
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.rundir.records import read_bounded
from ganforge.rundir.records import read_json as gate_json
from ganforge.rundir.summary import RunSummary, read_summary

MAX_CONFIG_BYTES = 2**20  # a run's config.yaml is about 2 KB
T = TypeVar("T")


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinity (a torn CSV cell, a diverged loss) made None,
    in nested dicts and lists too: JSON has no NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def read_json(folder: Path, name: str) -> dict[str, Any]:
    """The JSON object in ``folder/name``; ``{}`` when it is absent, unreadable, too large or
    deep, not an object, or a symlink out of ``folder`` (the path rule, see
    :func:`~ganforge.rundir.confine.confined`)."""
    try:
        data = gate_json(confined(folder, Path(name)), name)
    except GanforgeError:
        return {}
    return data if isinstance(data, dict) else {}


def summary_of(layout: RunLayout) -> RunSummary | None:
    """The run's ``summary.json``; None while it has none (training) or if it is unreadable
    or no run summary."""
    try:
        return read_summary(layout)
    except GanforgeError:  # an UnsafePathError too: a summary.json that leads out
        return None


def read_config(layout: RunLayout) -> dict[str, Any]:
    """The run's ``config.yaml`` as a dict (read as any config file is, see
    :func:`~ganforge.config.load_yaml`); ``{}`` if unreadable or leading out of the run."""
    try:
        return load_yaml(layout.config)
    except GanforgeError:
        return {}


def safely(get: Callable[[], T], default: T) -> T:
    """``get()``, or ``default`` where the path rule refuses a file it reads (a symlink out
    of the run): the page shows the run without that file."""
    try:
        return get()
    except UnsafePathError:
        return default


def read_rows(path: Callable[[], Path]) -> list[dict[str, float]]:
    """A metrics CSV's rows (see :func:`read_csv_rows`); ``[]`` if it cannot be read or
    leads out of its run (``path`` a callable giving it, which the path rule may refuse)."""
    try:
        return read_csv_rows(path())
    except (GanforgeError, OSError, ValueError):  # ValueError: not UTF-8
        return []


def config_text(layout: RunLayout) -> str:
    """The run's ``config.yaml`` as text, for the page; ``""`` if it cannot be read."""
    try:
        raw = read_bounded(layout.config, MAX_CONFIG_BYTES, "config", GanforgeError)
        return raw.decode("utf-8")
    except (GanforgeError, ValueError):
        return ""
