"""Shared fixtures: where the real MNIST test data lives, if this machine has it."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Directory of real MNIST IDX files named by GANFORGE_TEST_MNIST_DIR, or skip."""
    value = os.environ.get("GANFORGE_TEST_MNIST_DIR")
    if not value:
        pytest.skip("GANFORGE_TEST_MNIST_DIR is not set (a directory of MNIST IDX files)")
    # A set but wrong path is not skipped: the tests then fail and show the misconfiguration.
    return Path(value)
