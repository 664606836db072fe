"""The one formatter of metrics and run facts: the units, precisions and the missing value
that the CLI tables, the reports and the studio share."""

import math

import pytest

from ganforge.reporting.metric_format import (
    METRIC_FORMATS,
    MISSING,
    format_mean_sd,
    format_metric,
    number,
)


def test_kid_is_shown_times_1000_everywhere():
    assert METRIC_FORMATS["kid_mean"].header == "KID×10³ ↓"
    assert format_metric("kid_mean", 0.01234) == "12.3"
    assert format_metric("kid_mean", 1.4488) == "1,448.8"
    assert format_mean_sd("kid_mean", 0.0123, 0.0011) == "12.3 ± 1.1"


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, "null", True, {}])
def test_a_missing_value_is_a_dash_never_null(missing):
    assert number(missing) is None
    assert format_metric("fid", missing) == MISSING == "—"
    assert format_mean_sd("fid", missing, 1.0) == "—"


def test_each_key_has_one_precision():
    assert format_metric("fid", 39.304) == "39.30"
    assert format_metric("classes_covered", 10) == "10.0"  # a mean over seeds can be 9.5
    assert format_metric("params_g", 1478928) == "1,478,928"
    assert format_metric("steps", 312) == "312" and format_metric("images", 38400) == "38,400"
    assert format_metric("wall_time_s", 12.43) == "12.4"
    assert format_mean_sd("params_g", 7.0, 0.0) == "7"  # the same in every seed: no ± 0
    assert format_mean_sd("fid", 5.0, None) == "5.00"


def test_a_slow_rate_is_never_0():
    """acgan-mult at about 1 image/s on a loaded 2-core CPU showed as 0 img/s."""
    assert format_metric("images_per_s", 0.42) == "0.42"
    assert format_metric("images_per_s", 1.372) == "1.37"
    assert format_metric("images_per_s", 771.2) == "771"
    assert format_metric("sampling_images_per_s", 26492.0) == "26,492"
