"""A run folder from a stranger, used by ``train --resume``, ``sample`` and ``evaluate``:
each hostile file is a one-line error with exit status 2, and nothing outside is read."""

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.mnist

NETS = [
    "--set",
    "model.latent_dim=8",
    "--set",
    "model.g_hidden=[32]",
    "--set",
    "model.d_hidden=[32]",
]
SECRET = "the secret outside the run"
RESUME = ("train", "--resume", "--steps", "6", "--out")  # 2 steps more than the run has


@pytest.fixture(scope="module")
def base_run(tmp_path_factory, mnist_dir) -> Path:
    """A real 4-step run of a small gan, which the tests resume for 2 steps more."""
    import subprocess
    import sys

    run = tmp_path_factory.mktemp("hostile") / "run"
    args = ["train", "gan", "--steps", "4", "--batch-size", "32", "--out", str(run)]
    args += ["--data-dir", str(mnist_dir), "--plain", *NETS]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "ganforge", *args], check=True, env=env)
    return run


@pytest.fixture
def run(tmp_path, base_run) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(base_run, copy, symlinks=True)
    (tmp_path / "secret.txt").write_text(SECRET)
    return copy


def refused(code: int, err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err and SECRET not in err
    for word in words:
        assert word in lines[0], lines[0]


def test_resume_refuses_a_config_yaml_of_the_wrong_shape(run, run_cli, mnist_dir) -> None:
    (run / "config.yaml").write_text("recipe: gan\ntrain: hello\n")
    code, err = run_cli(*RESUME, str(run), "--data-dir", str(mnist_dir))
    refused(code, err, "train must be a mapping", "hello")


def test_resume_refuses_a_binary_metrics_log(run, run_cli, mnist_dir) -> None:
    (run / "metrics" / "batches.csv").write_bytes(bytes(range(256)) * 8)
    code, err = run_cli(*RESUME, str(run), "--data-dir", str(mnist_dir))
    refused(code, err, "batches.csv", "not a metrics log ganforge wrote")


def test_resume_refuses_a_config_symlinked_out(run, run_cli, mnist_dir) -> None:
    (run / "config.yaml").unlink()
    os.symlink(run.parent / "secret.txt", run / "config.yaml")
    code, err = run_cli(*RESUME, str(run), "--data-dir", str(mnist_dir))
    refused(code, err, "config.yaml leads out of the run folder")


def test_sample_refuses_a_checkpoint_symlinked_out(run, run_cli, tmp_path) -> None:
    last = run / "checkpoints" / "last.safetensors"
    shutil.move(last, tmp_path / "elsewhere.safetensors")
    os.symlink(tmp_path / "elsewhere.safetensors", last)
    code, err = run_cli("sample", str(run), "--n", "4", "--out", str(tmp_path / "out.png"))
    refused(code, err, "last.safetensors leads out of the run folder")
    assert not (tmp_path / "out.png").exists()


def test_sample_still_works_on_the_untouched_copy(run, run_cli, tmp_path) -> None:
    code, err = run_cli("sample", str(run), "--n", "4", "--out", str(tmp_path / "out.png"))
    assert code == 0, err
    assert (tmp_path / "out.png").stat().st_size > 0


def test_a_model_config_too_large_is_refused_before_allocating(run, run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("GANFORGE_MAX_MODEL_MIB", "0.01")  # the small gan holds about 0.1 MiB
    code, err = run_cli("sample", str(run), "--n", "4", "--out", str(tmp_path / "out.png"))
    refused(code, err, "over the 0.01 MiB limit", "GANFORGE_MAX_MODEL_MIB")
