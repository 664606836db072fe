"""``ganforge studio``: where it listens, what it warns about, and its one-line refusals (the
server itself is not started: uvicorn.run is replaced)."""

import pytest
import torch
import uvicorn

from ganforge.cli.studio import is_loopback, served_hosts


@pytest.fixture
def served(monkeypatch):
    """What ``uvicorn.run`` would have been given, instead of serving."""
    calls: dict = {}

    def run(app, host: str, port: int, **options) -> None:
        calls.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", run)
    threads = torch.get_num_threads()
    yield calls
    torch.set_num_threads(threads)  # the command sets the process's (--threads)


def test_listens_on_loopback_by_default_without_a_warning(run_cli, served, tmp_path, capsys):
    code, err = run_cli("studio", "--runs", str(tmp_path))
    assert code == 0 and served["host"] == "127.0.0.1" and served["port"] == 8000
    assert "warning" not in err and "http://127.0.0.1:8000/" in err


def test_another_host_is_served_with_a_warning(run_cli, served, tmp_path):
    code, err = run_cli("studio", "--runs", str(tmp_path), "--host", "0.0.0.0", "--port", "8123")
    assert code == 0 and served["host"] == "0.0.0.0" and served["port"] == 8123
    assert "warning: listening on 0.0.0.0" in err and "no login" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "/no/such/folder"], "--runs /no/such/folder is not a folder"),
        (["--port", "0"], "Invalid value for '--port'"),
        (["--cache", "0"], "Invalid value for '--cache'"),
    ],
)
def test_bad_options_are_one_line(run_cli, served, tmp_path, args, message):
    code, err = run_cli("studio", "--runs", str(tmp_path), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not served


def test_what_counts_as_loopback():
    assert all(map(is_loopback, ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost")))
    assert not any(map(is_loopback, ("0.0.0.0", "::", "192.168.1.5", "example.org")))
    assert served_hosts("0.0.0.0") == ["*"] and served_hosts("::") == ["*"]
    assert "192.168.1.5" in served_hosts("192.168.1.5") and "127.0.0.1" in served_hosts("::1")
