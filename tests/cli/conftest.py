"""Fixtures for command-line tests that run ``ganforge`` in this process."""

import sys
from collections.abc import Callable

import pytest

from ganforge.cli import main


@pytest.fixture
def run_cli(monkeypatch, capsys) -> Callable[..., tuple[int, str]]:
    """``run_cli(*args)``: ``ganforge ARGS`` in this process (no second torch import, unlike a
    subprocess); returns its exit status and stderr."""

    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["ganforge", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        return exited.value.code, capsys.readouterr().err

    return run
