"""A study's report as plain data (texts, numbers, image files), which the HTML and the
Markdown writers turn into ``report.html`` (self-contained) and ``report.md``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganforge.reporting.verdict import RULE

__all__ = ["Picture", "Report"]


@dataclass(frozen=True)
class Picture:
    """An image of the report (PNG or GIF) and the caption under it."""

    path: Path
    caption: str


@dataclass
class Report:
    """Everything a report shows, in its order.

    ``arms`` are per-arm results (``name``, ``mean``, ``sd``, ``runs``, ``finished``) and
    ``rows`` per-run rows, as :mod:`ganforge.experiments.study_results` makes them.
    """

    title: str
    intro: list[str]
    arms: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    grids: list[Picture] = field(default_factory=list)
    gifs: list[Picture] = field(default_factory=list)
    charts: list[Picture] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    provenance: list[tuple[str, str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    rule: str = RULE
