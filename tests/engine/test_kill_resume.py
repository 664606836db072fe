"""A hard kill at any moment loses nothing: SIGKILL a real `ganforge train` process inside
the checkpoint writer, then three times at random points, `--resume` each time, and get the
uninterrupted run, bit for bit."""

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
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.metrics_log import read_csv_rows

pytestmark = [pytest.mark.mnist, pytest.mark.slow]

KILLS = 3  # at random points, after the one inside the checkpoint writer
STEPS = 80  # 640 images in batches of 64: 10 steps an epoch, a checkpoint every 10 steps
AHEAD = 10  # each random kill is aimed 1 to AHEAD steps past the step of the previous one
# The writer kill comes at step 20, so the random kills are aimed at step 50 at most, plus
# the steps that run during each kill's delay (a few): well before STEPS, so every cycle
# kills a process that is still training (the test checks that it did).

# `python -c KILL_IN_WRITER N ARGS…` runs `ganforge ARGS…` and SIGKILLs itself inside the
# N-th checkpoint write: the temporary file is complete, os.replace has not run yet.
KILL_IN_WRITER = """
import os, signal, sys
import ganforge.rundir.atomic as atomic

real_save_file, writes, fatal = atomic.save_file, [], int(sys.argv[1])

def save_file_then_die(tensors, filename, metadata=None):
    real_save_file(tensors, filename, metadata=metadata)
    writes.append(filename)
    if len(writes) == fatal:
        os.kill(os.getpid(), signal.SIGKILL)

atomic.save_file = save_file_then_die
sys.argv = ["ganforge", *sys.argv[2:]]
from ganforge.cli import main
main()
"""


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


def start(args: list[str], log, script: list[str] | None = None) -> subprocess.Popen:
    # One thread, as the uninterrupted run in this process has (see `one_thread`).
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    entry = script or ["-m", "ganforge"]
    return subprocess.Popen([sys.executable, *entry, *args], stdout=log, stderr=log, env=env)


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


def test_sigkill_in_the_writer_and_three_times_at_random_then_resume_equals_uninterrupted(
    tmp_path, data_640, one_thread, monkeypatch, capsys
):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    monkeypatch.setattr(sys, "argv", ["ganforge", *train_args(data_640, straight)])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0, capsys.readouterr().err

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    last = killed / "checkpoints" / "last.safetensors"
    history = []  # (checkpoint step it resumed from, step logged when killed)
    with open(tmp_path / "killed.log", "w") as log:
        # Writes 1-2 are epoch 1's epoch_0001 and last, 3-4 epoch 2's: die before the rename
        # that would make the step-20 checkpoint the last one.
        proc = start(train_args(data_640, killed), log, ["-c", KILL_IN_WRITER, "4"])
        try:
            assert proc.wait(timeout=120) == -signal.SIGKILL
        finally:
            proc.kill()
        assert list(last.parent.glob(".last.safetensors.*.tmp"))  # the complete, unrenamed one
        assert load_checkpoint(last).step == 10
        history.append((0, logged_steps(killed)))

        for _ in range(KILLS):
            resumed_from, before = load_checkpoint(last).step, history[-1][1]
            # Past the previous kill: rows up to it are the dead process's, not this one's.
            target = before + rng.randint(1, AHEAD)
            proc = start([*train_args(data_640, killed), "--resume"], log)
            try:
                killed_at = kill_at(proc, killed, target, rng.uniform(0, 0.01))
            finally:
                proc.kill()
            assert proc.returncode == -signal.SIGKILL
            history.append((resumed_from, killed_at))
        final = start([*train_args(data_640, killed), "--resume"], log)
        try:
            assert final.wait(timeout=300) == 0, (tmp_path / "killed.log").read_text()
        finally:
            final.kill()

    why = f"kills (resumed from, killed at step): {history}, seed {seed}"
    assert history[0] == (0, 20), why
    for (resumed_from, killed_at), (_, before) in zip(history[1:], history, strict=False):
        # Every process was killed while training, past where the one before it died.
        assert resumed_from <= before < killed_at < STEPS, why
    for name in ("batches.csv", "epochs.csv"):
        a, b = (read_csv_rows(run / "metrics" / name) for run in (straight, killed))
        assert [r["step"] for r in b] == [r["step"] for r in a], why
        strip = [[{k: v for k, v in r.items() if k != "time"} for r in rows] for rows in (a, b)]
        assert strip[1] == strip[0], why
    a, b = (load_checkpoint(run / "checkpoints" / "last.safetensors") for run in (straight, killed))
    assert a.step == b.step == STEPS
    keys = {k for k in a.tensors if not k.startswith("rng.")}
    assert keys == {k for k in b.tensors if not k.startswith("rng.")}
    assert {k.split(".")[0] for k in keys} == {
        "generator",
        "generator_ema",
        "discriminator",
        "opt_g",
        "opt_d",
    }
    for key in sorted(keys):  # weights, buffers and both optimizers' moments
        assert torch.equal(a.tensors[key], b.tensors[key]), f"{key}; {why}"
    assert a.meta["optimizers"] == b.meta["optimizers"], why
    assert not list((killed / "checkpoints").glob(".*.tmp"))  # no half-written leftovers


# Step intervals: a grid every 4 steps and a numbered checkpoint every 7, inside the 10-step
# epochs, each such checkpoint the last one too (so most kills resume inside an epoch). The
# kills are aimed at step 37 at most, plus the steps that run during each kill's delay.
STEP_INTERVALS = ["--sample-every", "4steps", "--checkpoint-every", "7steps"]


def test_sigkill_of_a_step_interval_run_then_resume_equals_uninterrupted(
    tmp_path, data_640, one_thread, monkeypatch, capsys
):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    args = [*train_args(data_640, straight), *STEP_INTERVALS]
    monkeypatch.setattr(sys, "argv", ["ganforge", *args])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0, capsys.readouterr().err

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    last = killed / "checkpoints" / "last.safetensors"
    history = []  # (checkpoint step it resumed from, step logged when killed)
    with open(tmp_path / "killed.log", "w") as log:
        for i in range(KILLS):
            resumed_from = load_checkpoint(last).step if i else 0
            # The first kill past the first checkpoint (step 7), which the resumes need.
            target = (history[-1][1] if history else 7) + rng.randint(1, AHEAD)
            resume = ["--resume"] if i else []
            proc = start([*train_args(data_640, killed), *STEP_INTERVALS, *resume], log)
            try:
                killed_at = kill_at(proc, killed, target, rng.uniform(0, 0.01))
            finally:
                proc.kill()
            assert proc.returncode == -signal.SIGKILL
            history.append((resumed_from, killed_at))
        final = start([*train_args(data_640, killed), *STEP_INTERVALS, "--resume"], log)
        try:
            assert final.wait(timeout=300) == 0, (tmp_path / "killed.log").read_text()
        finally:
            final.kill()

    why = f"kills (resumed from, killed at step): {history}, seed {seed}"
    for (resumed_from, killed_at), (_, before) in zip(history[1:], history, strict=False):
        assert resumed_from <= before < killed_at < STEPS, why  # each killed while training
    for name in ("batches.csv", "epochs.csv"):
        a, b = (read_csv_rows(run / "metrics" / name) for run in (straight, killed))
        strip = [[{k: v for k, v in r.items() if k != "time"} for r in rows] for rows in (a, b)]
        assert strip[1] == strip[0], why
    grids = sorted(p.name for p in (straight / "samples").glob("*.png"))
    assert "epoch_0000.40.png" in grids and "epoch_0007.60.png" in grids  # steps 4 and 76
    assert sorted(p.name for p in (killed / "samples").glob("*.png")) == grids, why
    for name in grids:
        a, b = ((run / "samples" / name).read_bytes() for run in (straight, killed))
        assert a == b, f"{name}; {why}"
    numbered = sorted(p.name for p in (straight / "checkpoints").glob("*.safetensors"))
    assert "epoch_0000.70.safetensors" in numbered and "epoch_0007.70.safetensors" in numbered
    assert sorted(p.name for p in (killed / "checkpoints").glob("*.safetensors")) == numbered
    for name in numbered:
        a, b = (load_checkpoint(run / "checkpoints" / name) for run in (straight, killed))
        assert a.step == b.step and a.tensors.keys() == b.tensors.keys(), f"{name}; {why}"
        for key in sorted(a.tensors):  # weights, optimizers' moments and the RNG states
            assert torch.equal(a.tensors[key], b.tensors[key]), f"{name} {key}; {why}"
