"""The table of a study's report: its columns (what, how shown, which way is better), its
``mean ± sd`` cells, and a verdict per judged column."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Column:
    """One column: the result key, its header, its format, and which way is better (None:
    neither, so no verdict), with a scale for display (KID ×10³)."""

    key: str
    label: str
    fmt: str
    better: str | None = None  # "lower" or "higher"
    scale: float = 1.0

    @property
    def header(self) -> str:
        arrow = {"lower": " ↓", "higher": " ↑"}.get(self.better or "", "")
        return self.label + arrow

    def format(self, value: float) -> str:
        return self.fmt.format(self.scale * value)


COLUMNS: tuple[Column, ...] = (
    Column("params_g", "params G", "{:,.0f}"),
    Column("params_d", "params D", "{:,.0f}"),
    Column("wall_time_s", "train time (s)", "{:,.0f}"),
    Column("images_per_s", "train img/s", "{:,.0f}", "higher"),
    Column("sampling_images_per_s", "sample img/s", "{:,.0f}", "higher"),
    Column("peak_memory_mib", "peak memory (MiB)", "{:,.0f}", "lower"),
    Column("fid", "FID", "{:.2f}", "lower"),
    Column("kid_mean", "KID×10³", "{:.1f}", "lower", 1000.0),
    Column("precision", "precision", "{:.3f}", "higher"),
    Column("recall", "recall", "{:.3f}", "higher"),
    Column("coverage", "coverage", "{:.3f}", "higher"),
    Column("classes_covered", "classes covered", "{:.1f}", "higher"),
    # KL of the predicted-class histogram from uniform: mode collapse shows here first.
    Column("class_kl", "class KL", "{:.3f}", "lower"),
    Column("class_accuracy", "class accuracy", "{:.3f}", "higher"),
)


def _number(value: Any) -> float | None:
    """A finite float, or None for a missing (or NaN) value."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def cell(arm: Mapping[str, Any], column: Column) -> str:
    """``mean ± sd`` of one column for one arm (``mean`` alone with one seed, or where every
    seed has the same value, such as parameter counts; ``—`` with none)."""
    mean, sd = _number(arm["mean"].get(column.key)), _number(arm["sd"].get(column.key))
    if mean is None:
        return "—"
    return column.format(mean) + (f" ± {column.format(sd)}" if sd else "")


def shown_columns(arms: Sequence[Mapping[str, Any]]) -> list[Column]:
    """The columns that some arm has a value for (class accuracy needs a conditional arm)."""
    return [c for c in COLUMNS if any(_number(a["mean"].get(c.key)) is not None for a in arms)]


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
            a["name"]: (_number(a["mean"].get(column.key)), _number(a["sd"].get(column.key)))
            for a in arms
        }
        out.append(judge(column.label, stats, column.better == "higher", column.format))
    return out


# The per-run table: every seed's own figures, and the error of a failed run.
RUN_COLUMNS: tuple[Column, ...] = (
    *(c for c in COLUMNS if c.key in ("fid", "kid_mean", "precision", "recall", "coverage")),
    *(
        c
        for c in COLUMNS
        if c.key in ("classes_covered", "class_kl", "class_accuracy", "images_per_s")
    ),
    Column("wall_time_s", "train time (s)", "{:,.1f}"),
    Column("epochs", "epochs", "{:.2f}"),
)


def run_cells(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-run table: arm, seed, figures, run folder, status."""
    header = ["", "seed", *(c.label for c in RUN_COLUMNS), "run", "status"]
    body = []
    for row in rows:
        values = [_number(row.get(c.key)) for c in RUN_COLUMNS]
        cells = [
            "—" if v is None else c.format(v) for c, v in zip(RUN_COLUMNS, values, strict=True)
        ]
        status = "ok" if row["status"] == "ok" else f"failed: {row.get('error') or '?'}"
        body.append([row["name"], str(row["seed"]), *cells, row["run"], status])
    return header, body
