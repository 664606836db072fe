"""Fixtures for the data tests: a clean ganforge home, and a folder published over HTTP on
127.0.0.1 (the datasets' mirrors in the tests)."""

import socket

import pytest
from tests.data.local_http import serving

from ganforge.data import DATASETS


@pytest.fixture
def clean_home(monkeypatch, tmp_path):
    """An empty ganforge home; no dataset folder or mirror list from the user's environment."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    for spec in DATASETS.values():
        monkeypatch.delenv(spec.env_var, raising=False)
        monkeypatch.delenv(spec.mirrors_env_var, raising=False)
    return tmp_path / "home"


@pytest.fixture
def web(tmp_path):
    """(a folder, the base URL that serves it over HTTP on 127.0.0.1)."""
    root = tmp_path / "served"
    root.mkdir()
    with serving(root) as url:
        yield root, url


@pytest.fixture
def dead_url():
    """The URL of a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"
