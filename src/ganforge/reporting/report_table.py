"""The table of a study's report: its columns (formats from :mod:`.metric_format`), its
``mean ± sd`` cells, and a verdict per judged column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ganforge.reporting.metric_format import (
    METRIC_FORMATS,
    MetricFormat,
    format_mean_sd,
    format_metric,
    number,
)
from ganforge.reporting.verdict import Verdict, judge

__all__ = [
    "COLUMNS",
    "RUN_COLUMNS",
    "Column",
    "cell",
    "run_cells",
    "shown_columns",
    "table_cells",
    "verdicts",
]

Column = MetricFormat  # a column: its key, header, format and better direction

# What each run got (steps, images, training seconds), its size, speed and memory, then its
# scores.
COLUMNS: tuple[Column, ...] = tuple(
    METRIC_FORMATS[key]
    for key in (
        *("params_g", "params_d", "steps", "images", "wall_time_s", "images_per_s"),
        *("sampling_images_per_s", "peak_memory_mib", "fid", "kid_mean", "precision"),
        *("recall", "coverage", "classes_covered", "class_kl", "class_accuracy"),
    )
)


def cell(arm: Mapping[str, Any], column: Column) -> str:
    """``mean ± sd`` of one column for one arm (``mean`` alone with one seed, or where every
    seed has the same value, such as parameter counts; ``—`` with none)."""
    return format_mean_sd(column.key, arm["mean"].get(column.key), arm["sd"].get(column.key))


def shown_columns(arms: Sequence[Mapping[str, Any]]) -> list[Column]:
    """The columns that some arm has a value for (class accuracy needs a conditional arm)."""
    return [c for c in COLUMNS if any(number(a["mean"].get(c.key)) is not None for a in arms)]


def table_cells(arms: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the report's table: the arm's name (with its finished runs when
    some failed), then each shown column's cell."""
    columns = shown_columns(arms)
    header = ["", "seeds", *(c.header for c in columns)]
    rows = []
    for arm in arms:
        seeds = f"{arm['finished']}" + (
            f" of {arm['runs']}" if arm["finished"] != arm["runs"] else ""
        )
        rows.append([arm["name"], seeds, *(cell(arm, c) for c in columns)])
    return header, rows


def verdicts(arms: Sequence[Mapping[str, Any]]) -> list[Verdict]:
    """A verdict for every shown column that has a better direction."""
    out = []
    for column in shown_columns(arms):
        if column.better is None:
            continue
        stats = {
            a["name"]: (number(a["mean"].get(column.key)), number(a["sd"].get(column.key)))
            for a in arms
        }
        out.append(judge(column.label, stats, column.better == "higher", column.format))
    return out


# The per-run table: every seed's own figures (what it got, then its scores), and the error
# of a failed run.
RUN_COLUMNS: tuple[Column, ...] = tuple(
    METRIC_FORMATS[key]
    for key in (
        *("steps", "images", "wall_time_s", "epochs", "images_per_s", "fid", "kid_mean"),
        *("precision", "recall", "coverage", "classes_covered", "class_kl", "class_accuracy"),
    )
)


def run_cells(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-run table: arm, seed, figures, run folder, status."""
    header = ["", "seed", *(c.label for c in RUN_COLUMNS), "run", "status"]
    body = []
    for row in rows:
        cells = [format_metric(c.key, row.get(c.key)) for c in RUN_COLUMNS]
        status = "ok" if row["status"] == "ok" else f"failed: {row.get('error') or '?'}"
        body.append([row["name"], str(row["seed"]), *cells, row["run"], status])
    return header, body
