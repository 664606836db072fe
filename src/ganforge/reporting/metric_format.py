"""ganforge's one formatter of metrics and run facts: each key's label, unit, precision and
better direction (:data:`METRIC_FORMATS`), and :func:`format_metric` and
:func:`format_mean_sd`, which the CLI tables, the Markdown and HTML reports and the studio
(through its API) all use, so that a number reads the same everywhere: KID ×10³, a missing
value ``—``, a slow rate never ``0``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ganforge.progress import format_rate

__all__ = [
    "METRIC_FORMATS",
    "MISSING",
    "MetricFormat",
    "format_mean_sd",
    "format_metric",
    "number",
]

MISSING = "—"  # a value that is absent (not measured, a failed run) or not finite


def number(value: Any) -> float | None:
    """A finite float, or None for a missing (None, NaN, infinite or non-numeric) value."""
    if value is None or isinstance(value, bool | str | bytes):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class MetricFormat:
    """How one key is shown: its label (with its unit: ``KID×10³``), its decimals (thousands
    separated), which way is better (None: neither, so no arrow and no verdict), the scale
    of its unit, and whether it is a rate (shown at a precision that never rounds to 0)."""

    key: str
    label: str
    decimals: int = 3
    better: str | None = None  # "lower" or "higher"
    scale: float = 1.0
    rate: bool = False

    @property
    def header(self) -> str:
        """The label with an arrow for the better direction: ``FID ↓``."""
        arrow = {"lower": " ↓", "higher": " ↑"}.get(self.better or "", "")
        return self.label + arrow

    def format(self, value: Any) -> str:
        """``value`` in this unit and precision; :data:`MISSING` when it is missing."""
        x = number(value)
        if x is None:
            return MISSING
        if self.rate:
            return format_rate(self.scale * x)
        return f"{self.scale * x:,.{self.decimals}f}"


_FORMATS = (
    MetricFormat("fid", "FID", 2, "lower"),
    MetricFormat("inception_fid", "Inception FID", 2, "lower"),
    MetricFormat("kid_mean", "KID×10³", 1, "lower", 1000.0),
    MetricFormat("kid_std", "KID sd×10³", 1, None, 1000.0),
    MetricFormat("precision", "precision", 3, "higher"),
    MetricFormat("recall", "recall", 3, "higher"),
    MetricFormat("density", "density", 3),
    MetricFormat("coverage", "coverage", 3, "higher"),
    MetricFormat("inception_score_mean", "IS", 2, "higher"),
    MetricFormat("classes_covered", "classes covered", 1, "higher"),
    # KL of the predicted-class histogram from uniform: mode collapse shows here first.
    MetricFormat("class_kl", "class KL", 3, "lower"),
    MetricFormat("class_accuracy", "class accuracy", 3, "higher"),
    MetricFormat("params_g", "params G", 0),
    MetricFormat("params_d", "params D", 0),
    MetricFormat("steps", "steps", 0),
    MetricFormat("images", "images", 0),
    MetricFormat("epochs", "epochs", 2),
    MetricFormat("wall_time_s", "train time (s)", 1),
    MetricFormat("images_per_s", "train img/s", better="higher", rate=True),
    MetricFormat("sampling_images_per_s", "sample img/s", better="higher", rate=True),
    MetricFormat("peak_memory_mib", "peak memory (MiB)", 0, "lower"),
)
METRIC_FORMATS: dict[str, MetricFormat] = {f.key: f for f in _FORMATS}


def format_metric(key: str, value: Any) -> str:
    """One value of ``key`` as every table shows it (see :data:`METRIC_FORMATS`)."""
    return METRIC_FORMATS[key].format(value)


def format_mean_sd(key: str, mean: Any, sd: Any = None) -> str:
    """``mean ± sd`` over seeds; the mean alone with one seed, or where every seed has the
    same value (parameter counts: sd 0); :data:`MISSING` without a mean."""
    shown = format_metric(key, mean)
    spread = number(sd)
    if shown == MISSING or not spread:
        return shown
    return f"{shown} ± {format_metric(key, spread)}"
