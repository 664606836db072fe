"""The command line as a user runs it: its entry point (and once a real process), real MNIST,
real files."""

import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml
from PIL import Image

from ganforge.cli import main
from ganforge.data import write_idx
from ganforge.models import RECIPES
from ganforge.rundir.atomic import read_safetensors, write_safetensors


def ganforge(*args, env=None, check=True, process=False):
    """Run ``ganforge ARGS``: in this process by default (its entry point, ``main()``, with
    stdout and stderr captured; a fresh process costs ~3 s of imports), or with ``process``
    as ``python -m ganforge`` in a fresh process. Returns a ``CompletedProcess``."""
    full_env = {"GANFORGE_HOME": os.environ.get("GANFORGE_HOME", ""), **(env or {})}
    if process:
        proc = subprocess.run(
            [sys.executable, "-m", "ganforge", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **full_env},
            timeout=600,
        )
    else:
        proc = _in_process(list(args), full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def _in_process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.setattr(sys, "argv", ["ganforge", *args])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as exited:
                code = exited.code if isinstance(exited.code, int) else 0
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ("train", "ganforge train dcgan --epochs 5"),
        ("sample", "ganforge sample runs/"),
        ("interpolate", "ganforge interpolate runs/"),
        ("export", "ganforge export runs/"),
        ("recipes", "ganforge recipes"),
    ],
)
def test_every_command_has_help_with_an_example(command, example):
    assert command in ganforge("--help").stdout
    assert example in ganforge(command, "--help").stdout


def test_recipes_lists_every_recipe_and_preset_with_counts():
    out = ganforge("recipes").stdout
    for name in RECIPES:
        assert name in out
    assert "759,681" in out  # dcgan's generator
    assert "14,780,749" in out  # acgan-mult's, as the source counts it


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "dcgam"], "unknown recipe 'dcgam'; did you mean 'dcgan'?"),
        (["train", "dcgan", "--set", "train.batch_size=0"], "train.batch_size must be a positive"),
        (
            ["train", "gan", "--set", "train.seed=-1"],
            "train.seed must be an integer in 0..4294967295",
        ),
        (["train", "gan", "--set", f"train.seed={2**70}"], f"0..4294967295, got {2**70}"),
        (
            ["train", "gan", "--set", "model.latent_dim=1000000000"],
            "model.latent_dim must be at most 4096, got 1000000000",
        ),
        (["train", "dcgan", "--lr", "-1"], "learning rates must be > 0"),
        (["train", "dcgan", "--set", "model.dropuot=0.2"], "did you mean 'dropout'?"),
        (
            ["train", "dcgan", "--dataset", "cifar"],
            "unknown dataset 'cifar'; expected mnist,",
        ),
        (["train", "dcgan", "--device", "cuda:99"], "cuda:99"),
        (["train", "dcgan", "--device", "gpu"], "train.device must be 'auto', 'cpu'"),
        (["train", "--resume"], "--resume needs --out RUN_DIR"),
        (["sample", "/nonexistent/run"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args, message):
    proc = ganforge(*args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["train", "dcgan", "--epoch", "3"],
            "No such option: --epoch (Possible options: --epochs)",
        ),
        (["train", "dcgan", "--epochs", "x"], "Invalid value for '--epochs'"),
        (["sample", "runs/x", "--n", "0"], "Invalid value for '--n'"),
        # Seeds are 0..2**32-1 in every command; counts at least 1.
        *(
            (["train", "gan", "--seed", seed], "Invalid value for '--seed'")
            for seed in ("-1", str(2**32), str(2**64))
        ),
        (["sample", "runs/x", "--seed", str(2**64)], "Invalid value for '--seed'"),
        (["sample", "runs/x", "--seed", "-1"], "Invalid value for '--seed'"),
        (["interpolate", "runs/x", "--from", "-1"], "Invalid value for '--from'"),
        (["interpolate", "runs/x", "--to", str(2**64)], "Invalid value for '--to'"),
        (["evaluate", "--samples", "x.npy", "--seed", str(2**64)], "Invalid value for '--seed'"),
        (["evaluator", "train", "--seed", "-1"], "Invalid value for '--seed'"),
        (["train", "gan", "--steps", "0"], "Invalid value for '--steps'"),
        (["train", "gan", "--epochs", "0"], "Invalid value for '--epochs'"),
        (["train", "gan", "--batch-size", "0"], "Invalid value for '--batch-size'"),
        (["train", "gan", "--batch-size", "65537"], "Invalid value for '--batch-size'"),
        (["train", "gan", "--log-every", "0"], "Invalid value for '--log-every'"),
        (["train", "gan", "--eval-samples", "99"], "Invalid value for '--eval-samples'"),
        (["train", "gan", "--time-limit", "-1"], "Invalid value for '--time-limit'"),
        (["compare", "gan", "--seeds", "0"], "Invalid value for '--seeds'"),
        (["ablate", "improved-dcgan", "--seeds", "1001"], "Invalid value for '--seeds'"),
    ],
)
def test_usage_errors_are_one_line_too(args, message):
    proc = ganforge(*args, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {message}" + proc.stderr.split(message, 1)[1].strip()
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["train", "gan", "--out"],
        ["evaluate", "--calibration", "--out"],
        ["evaluator", "train", "--data-dir"],
        ["compare", "gan", "--out"],
        ["ablate", "improved-dcgan", "--out"],
    ],
)
def test_every_dataset_option_takes_the_short_names_and_lists_them(command, tmp_path):
    help_args = command[: 1 + (command[0] == "evaluator")]
    help_text = ganforge(*help_args, "--help", env={"COLUMNS": "300"}).stdout
    assert "kmnist, emnist-letters or emnist-balanced (also fashion, fmnist" in help_text
    proc = ganforge(*command, str(tmp_path / "o"), "--dataset", "fashon", check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    expected = "unknown dataset 'fashon'; expected mnist, fashion-mnist, kmnist, emnist-letters"
    assert expected in proc.stderr
    assert not (tmp_path / "o").exists()


def test_a_run_on_fashion_records_fashion_mnist(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "fashion"
    data.mkdir()
    write_idx(data / "train-images-idx3-ubyte", rng.integers(0, 256, (64, 28, 28), np.uint8))
    write_idx(data / "train-labels-idx1-ubyte", (np.arange(64) % 10).astype(np.uint8))
    run = tmp_path / "run"
    out = ganforge(
        "train", "gan", "--dataset", "fashion", "--steps", "1", "--batch-size", "32",
        "--data-dir", str(data), "--out", str(run),
    )  # fmt: skip
    assert "on fashion-mnist" in out.stderr
    assert yaml.safe_load((run / "config.yaml").read_text())["dataset"] == "fashion-mnist"
    assert json.loads((run / "summary.json").read_text())["dataset"] == "fashion-mnist"


def test_offline_without_data_says_how_to_provide_it(tmp_path):
    env = {
        "GANFORGE_HOME": str(tmp_path),
        "GANFORGE_MNIST_DIR": "",
        "GANFORGE_MNIST_MIRRORS": "http://127.0.0.1:9/",
    }
    proc = ganforge(
        "train", "dcgan", "--steps", "1", "--out", str(tmp_path / "r"), env=env, check=False
    )
    assert proc.returncode == 2
    assert "--data-dir" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.mnist
def test_a_run_saved_before_a_model_field_existed_resumes(tmp_path, mnist_dir, one_thread):
    # allconv's D gained minibatch_std (default on) after runs were saved without the field;
    # such a run trained without it and must resume as it was trained, not be refused.
    run = tmp_path / "old"
    common = ["--data-dir", str(mnist_dir), "--out", str(run), "--batch-size", "8"]
    small = ["--set", "model.g_channels=[8,16,8]", "--set", "model.d_channels=[8,8,8]"]
    ganforge("train", "allconv", "--steps", "2", *common, *small, "--set",
             "model.minibatch_std=false")  # fmt: skip
    config = yaml.safe_load((run / "config.yaml").read_text())
    del config["model"]["minibatch_std"]
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    last = run / "checkpoints" / "last.safetensors"
    tensors, meta = read_safetensors(last, "checkpoint")
    del meta["config"]["model"]["minibatch_std"]
    write_safetensors(last, tensors, meta, "checkpoint")

    out = ganforge("train", "--resume", "--steps", "4", *common)
    assert "done: 4 steps" in out.stderr
    assert yaml.safe_load((run / "config.yaml").read_text())["model"]["minibatch_std"] is False


@pytest.mark.mnist
def test_train_sample_interpolate_resume(tmp_path, mnist_dir):
    run = tmp_path / "acgan"
    common = ["--data-dir", str(mnist_dir), "--out", str(run), "--batch-size", "32"]
    # a real process, as a user runs it (the other tests call the same entry point in-process)
    out = ganforge("train", "acgan", "--steps", "12", *common, "--log-every", "4", process=True)
    assert "done: 12 steps" in out.stderr
    assert "D(G(z))" in out.stderr  # the progress line, plain in a non-terminal

    # Resume continues the run to a longer budget; resuming it again has nothing to do.
    ganforge("train", "--resume", "--steps", "20", *common)
    assert json.loads((run / "summary.json").read_text())["steps"] == 20
    again = ganforge("train", "--resume", "--steps", "20", *common)
    assert "already at step 20" in again.stderr
    changed = ganforge(
        "train", "--resume", "--steps", "30", *common[:-2], "--batch-size", "16", check=False
    )
    assert changed.returncode == 2 and "cannot change train.batch_size" in changed.stderr

    grid = tmp_path / "g.png"
    npy = tmp_path / "s.npy"
    ganforge(
        "sample", str(run), "--n", "30", "--class", "7", "--grid", str(grid), "--npy", str(npy)
    )
    images, labels = np.load(npy), np.load(tmp_path / "s_labels.npy")
    assert images.shape == (30, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [7] * 30
    width, height = Image.open(grid).size
    assert width == 8 * 30 + 2 and height > 4 * 30 + 2  # 4 rows of class 7 under its name

    folder = tmp_path / "pngs"
    ganforge("sample", str(run), "--n", "3", "--out", str(folder))
    assert sorted(p.name for p in folder.iterdir()) == [
        "00000_class0.png",
        "00001_class1.png",
        "00002_class2.png",
    ]

    strip = tmp_path / "walk.png"
    ganforge(
        "interpolate",
        str(run),
        "--from",
        "1",
        "--to",
        "2",
        "--steps",
        "6",
        "--class",
        "3",
        "--out",
        str(strip),
    )
    assert Image.open(strip).size == (6 * 30 + 2, 32)
    gif = Image.open(strip.with_suffix(".gif"))
    assert gif.n_frames >= 6

    bad = ganforge("sample", str(run), "--class", "12", check=False)
    assert bad.returncode == 2 and "--class must be in 0..9" in bad.stderr


@pytest.mark.mnist
def test_unconditional_sample_rejects_class(tmp_path, mnist_dir):
    run = tmp_path / "gan"
    ganforge("train", "gan", "--steps", "2", "--data-dir", str(mnist_dir), "--out", str(run))
    proc = ganforge("sample", str(run), "--class", "3", check=False)
    assert proc.returncode == 2 and "not conditional" in proc.stderr
    again = ganforge(
        "train", "gan", "--steps", "2", "--data-dir", str(mnist_dir), "--out", str(run), check=False
    )
    assert again.returncode == 2 and "pass --resume" in again.stderr


@pytest.mark.mnist
def test_evaluate_a_run_and_a_sample_file(tmp_path, mnist_dir, mnist_evaluator):
    run = tmp_path / "gan"
    ganforge("train", "gan", "--steps", "30", "--data-dir", str(mnist_dir), "--out", str(run))
    out = ganforge("evaluate", str(run), "--n", "500", "--data-dir", str(mnist_dir))
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_fake"] == 500 and metrics["n_real"] == 10_000
    assert metrics["protocol"] == "ganforge-eval/1"
    assert metrics["evaluator"]["weights_hash"] == mnist_evaluator.weights_hash
    assert metrics["source"]["recipe"] == "gan" and metrics["fid"] > 0
    assert "FID" in out.stdout and "recall" in out.stdout  # the table is on stdout

    npy = tmp_path / "s.npy"
    ganforge("sample", str(run), "--n", "300", "--npy", str(npy))
    report = tmp_path / "m.json"
    ganforge("evaluate", "--samples", str(npy), "--data-dir", str(mnist_dir), "--out", str(report))
    assert json.loads(report.read_text())["n_fake"] == 300

    np.save(tmp_path / "bad.npy", np.full((10, 28, 28), 200.0, dtype=np.float32))  # 0..255
    bad = ganforge(
        "evaluate",
        "--samples",
        str(tmp_path / "bad.npy"),
        "--data-dir",
        str(mnist_dir),
        check=False,
    )
    assert bad.returncode == 2 and "or [-1, 1], got float32 from 200.0 to 200.0" in bad.stderr
    both = ganforge("evaluate", str(run), "--samples", str(npy), check=False)
    assert both.returncode == 2 and "exactly one of RUN_DIR, --samples" in both.stderr
