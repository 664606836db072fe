"""A hard kill at any moment loses nothing: SIGKILL a real `ganforge train` process three
times at random points, `--resume` each time, and get the uninterrupted run, bit for bit."""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from ganforge.cli import main
from ganforge.data import write_idx
from ganforge.reporting import read_csv_rows
from ganforge.training.checkpoint import load_checkpoint

pytestmark = [pytest.mark.mnist, pytest.mark.slow]

KILLS = 3
STEPS = 50  # 640 images in batches of 64: 10 steps an epoch, a checkpoint every 10 steps


def train_args(data_dir, run_dir) -> list[str]:
    """A small dense GAN on 640 images: a step takes a few milliseconds."""
    return [
        "train", "gan", "--steps", str(STEPS), "--batch-size", "64", "--seed", "3",
        "--log-every", "1", "--checkpoint-every", "1", "--sample-every", "100",
        "--device", "cpu", "--data-dir", str(data_dir), "--out", str(run_dir),
        "--set", "model.g_hidden=[128,256]", "--set", "model.d_hidden=[128,64]",
    ]  # fmt: skip


@pytest.fixture
def data_640(tmp_path, mnist_small):
    """The 640-image MNIST subset as IDX files, for a process that reads --data-dir."""
    folder = tmp_path / "mnist-640"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte", mnist_small.images.numpy())
    write_idx(folder / "train-labels-idx1-ubyte", mnist_small.labels.numpy().astype(np.uint8))
    return folder


def logged_steps(run_dir) -> int:
    """The last step in batches.csv (the run logs every step)."""
    path = run_dir / "metrics" / "batches.csv"
    rows = read_csv_rows(path) if path.exists() else []
    return int(rows[-1]["step"]) if rows else 0


def file_size(path) -> int:
    return path.stat().st_size if path.exists() else -1


def start(args: list[str], log) -> subprocess.Popen:
    # One thread, as the uninterrupted run in this process has (see `one_thread`).
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ganforge", *args], stdout=log, stderr=log, env=env
    )


def kill_at(proc: subprocess.Popen, run_dir, step: int, delay: float) -> int:
    """SIGKILL ``proc`` ``delay`` seconds after it has logged ``step``; returns the step then."""
    deadline = time.monotonic() + 120
    log, seen = run_dir / "metrics" / "batches.csv", None
    while True:
        # The CSV is parsed only when its size changed: this loop shares two cores with the
        # training it watches.
        size = file_size(log)
        if size != seen and logged_steps(run_dir) >= step:
            break
        seen = size
        assert proc.poll() is None, f"training exited with {proc.returncode} before step {step}"
        assert time.monotonic() < deadline, f"no step {step} after 120 s"
        time.sleep(0.002)
    time.sleep(delay)  # anywhere in a step, a log write or a checkpoint write
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return logged_steps(run_dir)


def test_sigkill_three_times_and_resume_equals_uninterrupted(
    tmp_path, data_640, one_thread, monkeypatch, capsys
):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    monkeypatch.setattr(sys, "argv", ["ganforge", *train_args(data_640, straight)])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0, capsys.readouterr().err

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    history = []  # (checkpoint step it resumed from, step logged when killed)
    killed_at = 10  # the first kill comes after the first checkpoint: every restart resumes
    with open(tmp_path / "killed.log", "w") as log:
        for k in range(KILLS):
            last = killed / "checkpoints" / "last.safetensors"
            resumed_from = load_checkpoint(last).step if k else 0
            # Past the previous kill: rows up to it may be the dead process's, not this one's.
            target = rng.randint(min(killed_at + 1, STEPS - 3), min(killed_at + 15, STEPS - 3))
            proc = start([*train_args(data_640, killed), *(["--resume"] if k else [])], log)
            killed_at = kill_at(proc, killed, target, rng.uniform(0, 0.02))
            history.append((resumed_from, killed_at))
        final = start([*train_args(data_640, killed), "--resume"], log)
        assert final.wait(timeout=300) == 0, (tmp_path / "killed.log").read_text()

    why = f"kills (started at, killed at step): {history}, seed {seed}"
    for name in ("batches.csv", "epochs.csv"):
        a, b = (read_csv_rows(run / "metrics" / name) for run in (straight, killed))
        assert [r["step"] for r in b] == [r["step"] for r in a], why
        strip = [[{k: v for k, v in r.items() if k != "time"} for r in rows] for rows in (a, b)]
        assert strip[1] == strip[0], why
    g = [load_checkpoint(run / "checkpoints" / "last.safetensors") for run in (straight, killed)]
    assert g[1].step == STEPS
    for key, value in g[0].module_state("generator").items():
        assert torch.equal(value, g[1].module_state("generator")[key]), f"{key}; {why}"
    assert not list((killed / "checkpoints").glob(".*.tmp-*"))  # no half-written leftovers
