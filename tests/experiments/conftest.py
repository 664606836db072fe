"""Fixtures of the study tests."""

from collections.abc import Callable
from typing import Any

import pytest

from ganforge.rundir.summary import RunSummary


@pytest.fixture
def run_summary() -> Callable[..., RunSummary]:
    """A run's summary with made-up values; keyword arguments replace them."""

    def make(**fields: Any) -> RunSummary:
        values: dict[str, Any] = {
            "recipe": "gan",
            "dataset": "mnist",
            "data_source": "tiny",
            "data_fingerprint": "0123456789abcdef",
            "train_images": 100,
            "params_g": 10,
            "params_d": 10,
            "steps": 5,
            "epochs": 0.5,
            "wall_time_s": 1.0,
            "images_per_s": 100.0,
            "device": "cpu",
            "final": {},
            "versions": {},
        }
        return RunSummary(**{**values, **fields})

    return make
