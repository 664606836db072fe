"""Runs written before the package was split into layers still resume, sample (the same
pixels) and evaluate (see tests/fixtures/README.md)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

pytestmark = pytest.mark.mnist


@pytest.fixture
def old_run(tmp_path) -> Path:
    run = tmp_path / "gan-0.1.0"
    shutil.copytree(FIXTURES / "gan-0.1.0", run)
    return run


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def test_an_old_run_samples_what_it_sampled_then(old_run, tmp_path, run_cli, one_thread):
    grid = tmp_path / "now.png"
    code, err = run_cli("sample", str(old_run), "--n", "16", "--seed", "3", "--grid", str(grid))
    assert code == 0, err
    # The same computation; another CPU's kernels (or ATEN_CPU_CAPABILITY) round the last bits
    # otherwise, which moves a pixel at most one level of 255 where it sits on a rounding edge.
    now, then = pixels(grid).astype(int), pixels(FIXTURES / "gan-0.1.0-sample.png").astype(int)
    assert now.shape == then.shape
    assert np.abs(now - then).max() <= 1
    assert (now != then).mean() < 0.01


def test_an_old_run_resumes(old_run, mnist_dir, run_cli, one_thread):
    code, err = run_cli(
        "train", "--resume", "--out", str(old_run), "--steps", "10", "--data-dir", str(mnist_dir)
    )
    assert code == 0, err
    summary = json.loads((old_run / "summary.json").read_text())
    assert summary["steps"] == 10 and summary["recipe"] == "gan"
    rows = (old_run / "metrics" / "batches.csv").read_text().splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == list(range(1, 11))


def test_an_old_run_evaluates(old_run, mnist_dir, mnist_evaluator, run_cli, one_thread):
    code, err = run_cli("evaluate", str(old_run), "--n", "500", "--data-dir", str(mnist_dir))
    assert code == 0, err
    metrics = json.loads((old_run / "metrics.json").read_text())
    assert metrics["source"]["recipe"] == "gan" and metrics["fid"] > 0
    assert metrics["evaluator"]["weights_hash"] == mnist_evaluator.weights_hash
