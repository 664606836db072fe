"""The page's numbers as text, by ganforge's one formatter
(:mod:`ganforge.reporting.metric_format`), the same as the CLI tables and the reports show
them: each answer that carries metrics or run facts carries them formatted too (``shown``),
beside the raw values the page ranks by, and the index carries each key's header."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ganforge.experiments.study_results import METRICS
from ganforge.reporting.metric_format import METRIC_FORMATS, format_mean_sd, format_metric


def shown(values: Mapping[str, Any]) -> dict[str, str]:
    """Every value of ``values`` whose key has a format, as text (``—`` when missing)."""
    return {k: format_metric(k, v) for k, v in values.items() if k in METRIC_FORMATS}


def shown_mean_sd(mean: Mapping[str, Any], sd: Mapping[str, Any]) -> dict[str, str]:
    """``mean ± sd`` of every key with a format that ``mean`` has, as the report's table."""
    return {k: format_mean_sd(k, v, sd.get(k)) for k, v in mean.items() if k in METRIC_FORMATS}


def formats() -> dict[str, Any]:
    """For the page: each key's label, header (with its better direction's arrow) and
    better direction, and the metrics its tables show, in order."""
    return {
        "formats": {
            k: {"label": f.label, "header": f.header, "better": f.better}
            for k, f in METRIC_FORMATS.items()
        },
        "metrics": list(METRICS),
    }
