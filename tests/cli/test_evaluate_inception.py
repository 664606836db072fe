"""``ganforge evaluate --inception``: one line and a non-zero exit, before any work or writing,
when torch-fidelity or its weights are missing; with them, ``inception_fid`` and its protocol
in metrics.json and the table. In-process (no interpreter start-up), no network, no weights."""

import io
import json
import socket
import sys
import types
import urllib.error

import numpy as np
import pytest
import torch
from rich.console import Console
from torchmetrics.image.fid import FrechetInceptionDistance

import ganforge.api.scores as api_scores
from ganforge.cli import evaluate as evaluate_cli
from ganforge.cli import main
from ganforge.cli.tables import print_table
from ganforge.evaluation import scoring
from ganforge.evaluation.inception import WEIGHTS_FILE, InceptionFID


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``ganforge ARGS`` in this process: exit code, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["ganforge", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


@pytest.fixture
def earlier(tmp_path):
    """A sample file and an earlier metrics file that a failed run must leave as it was."""
    npy = tmp_path / "s.npy"
    np.save(npy, np.zeros((200, 28, 28), dtype=np.uint8))
    report = tmp_path / "metrics.json"
    report.write_text('{"fid": 1.5}')
    return npy, report


def test_without_torch_fidelity_one_line_and_nothing_written(monkeypatch, capsys, earlier):
    npy, report = earlier
    monkeypatch.setitem(sys.modules, "torch_fidelity", None)  # as if not installed
    code, _, err = run_cli(
        monkeypatch, capsys, "evaluate", "--samples", str(npy), "--out", str(report), "--inception"
    )
    assert code == 2
    assert err.strip().splitlines() == [
        "error: Inception-V3 FID needs torch-fidelity: pip install 'ganforge[inception]'"
    ]
    assert report.read_text() == '{"fid": 1.5}'


def test_offline_without_weights_one_line_naming_the_file(monkeypatch, capsys, earlier, tmp_path):
    npy, report = earlier
    monkeypatch.setitem(sys.modules, "torch_fidelity", types.ModuleType("torch_fidelity"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    code, _, err = run_cli(
        monkeypatch, capsys, "evaluate", "--samples", str(npy), "--out", str(report), "--inception"
    )
    assert code == 2 and "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"error: Inception-V3 FID needs the weights file {WEIGHTS_FILE}")
    assert str(tmp_path / "hub" / "checkpoints") in line
    assert report.read_text() == '{"fid": 1.5}'


def test_inception_with_calibration_is_refused(monkeypatch, capsys):
    code, _, err = run_cli(monkeypatch, capsys, "evaluate", "--calibration", "--inception")
    assert code == 2
    assert err.strip() == "error: --inception scores a run or --samples, not --calibration"


def test_help_says_it_needs_the_extra_and_is_slow_on_a_cpu(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERMINAL_WIDTH", "200")
    code, out, _ = run_cli(monkeypatch, capsys, "evaluate", "--help")
    assert code in (0, None)
    assert "--inception" in out and "ganforge[inception]" in out and "Slow on a CPU" in out


def test_the_table_has_an_inception_fid_column():
    console = Console(width=200, file=io.StringIO())
    cells = evaluate_cli.metrics_cells({"dcgan": {"fid": 3.0, "inception_fid": 42.346}})
    print_table(console, "t", *cells)
    text = console.file.getvalue()
    assert "Inception FID ↓" in text and "42.35" in text


class GreyMean(torch.nn.Module):
    """A stand-in for Inception-V3: 2 features of the (tiled) grey image."""

    num_features = 2

    def forward(self, x):
        g = x[:, 0].double().flatten(1) / 255
        return torch.stack([g.mean(1), g.std(1)], dim=1)


@pytest.mark.mnist
def test_inception_fid_and_its_protocol_reach_metrics_json(
    monkeypatch, capsys, tmp_path, mnist_dir
):
    """The CLI's wiring with the real test split; the classifier metrics (tested elsewhere,
    and seconds of k-NN work) and Inception-V3 itself are stand-ins here."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    npy = tmp_path / "s.npy"
    np.save(npy, rng.integers(0, 256, (200, 28, 28), dtype=np.uint8))
    weights = {"file": WEIGHTS_FILE, "sha256": "ab" * 32}
    stand_in = InceptionFID(FrechetInceptionDistance(feature=GreyMean()), weights)
    monkeypatch.setattr(api_scores, "load_inception", lambda *a, **k: stand_in)
    monkeypatch.setattr(scoring, "evaluator_for", lambda *a, **k: None)
    monkeypatch.setattr(scoring, "real_reference", lambda *a, **k: None)
    classifier_metrics = {
        "protocol": "ganforge-eval/1",
        "n_real": 10_000,
        "n_fake": 200,
        "fid": 9.0,
    }
    monkeypatch.setattr(scoring, "evaluate_images", lambda *a, **k: classifier_metrics)
    report = tmp_path / "m.json"
    args = ["--samples", str(npy), "--data-dir", str(mnist_dir), "--out", str(report)]
    code, out, err = run_cli(monkeypatch, capsys, "evaluate", *args, "--inception")
    assert code in (0, None), err
    metrics = json.loads(report.read_text())
    assert metrics["fid"] == 9.0 and metrics["inception_fid"] > 0.01
    assert "grey tiled to 3 channels" in metrics["inception_protocol"]
    assert "real = test split 10,000, fake = 200 samples" in metrics["inception_protocol"]
    assert metrics["inception_weights"] == weights
    assert "Inception FID" in out
    # The test split's statistics were cached for the next evaluation.
    assert list((tmp_path / "home" / "inception").glob("mnist-*-abababababababab.safetensors"))
