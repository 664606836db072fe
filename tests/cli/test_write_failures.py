"""A full disk or an unwritable folder, met by any of ganforge's writers, is one line on stderr
and exit status 2, with nothing already saved lost: the previous checkpoint still loads, and
the run resumes once there is room. Simulated at each writer's lowest point (see
``failing_writes.py``) always; on a real, small tmpfs when the tests run as root with MNIST."""

import contextlib
import errno
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from failing_writes import failing_writes

from ganforge.cli import main
from ganforge.data import write_idx
from ganforge.rundir.checkpoint import load_checkpoint

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"
TINY_NETS = ["--set", "model.latent_dim=8", "--set", "model.g_hidden=[32]"]
TINY_NETS += ["--set", "model.d_hidden=[32]", "--plain"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """64 random 28×28 training images in MNIST's file names: 4 steps of 16 an epoch."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "data"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte", rng.integers(0, 256, (64, 28, 28), np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte", (np.arange(64) % 10).astype(np.uint8))
    return folder


def train_args(run: Path, data: Path, steps: int = 12) -> list[str]:
    """A tiny ``gan`` of ``steps`` steps (3 epochs of 4 by default), a checkpoint an epoch."""
    common = ["--steps", str(steps), "--batch-size", "16", *TINY_NETS]
    return ["train", "gan", *common, "--data-dir", str(data), "--out", str(run)]


def ganforge(*args: str) -> tuple[int, str]:
    """``ganforge ARGS`` through its entry point in this process: (exit status, stderr)."""
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.setattr(sys, "argv", ["ganforge", *args])
        try:
            main()
            code = 0
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else 0
    return code, err.getvalue()


def the_error(code: int, stderr: str) -> str:
    """The one error line of a failed command, checked to be one line, the last, exit 2."""
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert code == 2, stderr
    assert "Traceback" not in stderr, stderr
    assert len(errors) == 1 and stderr.strip().splitlines()[-1] == errors[0], stderr
    return errors[0].removeprefix("error: ")


def fail(monkeypatch: pytest.MonkeyPatch, code: int, name: str, after: int = 0) -> None:
    for owner, attribute, replacement in failing_writes(code, name, after):
        monkeypatch.setattr(owner, attribute, replacement)


@pytest.mark.parametrize(
    ("code", "reason", "remedy"),
    [
        (errno.ENOSPC, "No space left on device", "free space"),
        (errno.EACCES, "Permission denied", "make {run}/checkpoints writable (or write elsewhere)"),
    ],
    ids=["disk-full", "permission-denied"],
)
def test_a_checkpoint_that_cannot_be_written_is_one_line_and_the_run_resumes(
    tmp_path, data, code, reason, remedy
):
    """In a fresh process: the third checkpoint write (epoch 2's) fails as safetensors fails;
    the message says which file, why, and how to resume from the intact last checkpoint."""
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    env["GANFORGE_TEST_FAIL"] = f"{code}:.safetensors:2"  # epoch_0001 and last are written
    proc = subprocess.run(
        [sys.executable, str(HERE / "failing_writes.py"), *train_args(run, data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    message = the_error(proc.returncode, proc.stderr)
    assert message == (
        f"could not write checkpoint {run}/checkpoints/epoch_0002.safetensors: {reason}; "
        f"{remedy.format(run=run)}, then resume from the last checkpoint (step 4, intact) with "
        f"`ganforge train --resume --out {run} --data-dir {data}`"
    )
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == 4
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch_0001.safetensors",
        "last.safetensors",
    ]  # no temporary file left behind
    code, stderr = ganforge("train", "--resume", "--out", str(run), "--data-dir", str(data))
    assert code == 0, stderr
    assert json.loads((run / "summary.json").read_text())["steps"] == 12


@pytest.mark.parametrize(
    ("name", "after", "step"),
    [
        ("epoch_0002.png", 0, 4),  # a sample grid (Pillow), before epoch 2's checkpoints
        # a CSV append, epoch 2's (half a row written), after the file's creation, its
        # rewrite as the run starts and epoch 1's append
        ("batches.csv", 3, 4),
        ("loss_per_batch.png", 0, 12),  # a plot (matplotlib), among the final outputs
        ("progress.gif", 0, 12),  # the GIF (Pillow)
        ("summary.json", 0, 12),  # the summary, written last
    ],
)
def test_every_training_output_on_a_full_disk_is_one_line(
    tmp_path, data, monkeypatch, one_thread, name, after, step
):
    run = tmp_path / "run"
    fail(monkeypatch, errno.ENOSPC, name, after)
    message = the_error(*ganforge(*train_args(run, data)))
    assert message.startswith(f"could not write {run}/")
    assert f"{name}: No space left on device" in message.split(";")[0]
    assert message.endswith(
        f"; free space, then resume from the last checkpoint (step {step}, intact) with "
        f"`ganforge train --resume --out {run} --data-dir {data}`"
    )
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == step
    monkeypatch.undo()
    code, stderr = ganforge("train", "--resume", "--out", str(run), "--data-dir", str(data))
    assert code == 0, stderr
    assert json.loads((run / "summary.json").read_text())["steps"] == 12
    steps = [row.split(",")[0] for row in (run / "metrics" / "batches.csv").read_text().split()]
    assert steps[1:] == [str(s) for s in range(1, 13)]  # the torn row dropped, none twice


def test_a_full_disk_before_any_checkpoint_says_to_run_again(tmp_path, data, monkeypatch):
    """The run's first write (config.yaml, as it starts) fails: nothing to resume."""
    run = tmp_path / "run"
    fail(monkeypatch, errno.ENOSPC, "config.yaml")
    message = the_error(*ganforge(*train_args(run, data)))
    assert message == (
        f"could not write {run}/config.yaml: No space left on device; free space, then run the "
        "same command again"
    )
    monkeypatch.undo()
    assert ganforge(*train_args(run, data))[0] == 0


@pytest.fixture
def trained(tmp_path, data) -> Path:
    run = tmp_path / "run"
    code, stderr = ganforge(*train_args(run, data, steps=4))
    assert code == 0, stderr
    return run


def test_sample_on_a_full_disk_keeps_the_earlier_file(trained, tmp_path, monkeypatch):
    npy = tmp_path / "digits.npy"
    assert ganforge("sample", str(trained), "--n", "8", "--npy", str(npy))[0] == 0
    before = npy.read_bytes()
    fail(monkeypatch, errno.ENOSPC, "digits.npy")
    message = the_error(*ganforge("sample", str(trained), "--n", "8", "--npy", str(npy)))
    assert message == (
        f"could not write {npy}: No space left on device (the previous file there is intact); "
        "free space, then run the same command again"
    )
    assert npy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["sample", "--n", "4", "--out", "{tmp}/pngs"], "00002.png"),
        (["sample", "--grid", "{tmp}/grid.png"], "grid.png"),
        (["interpolate", "--steps", "3", "--out", "{tmp}/walk.png"], "walk.gif"),
    ],
)
def test_generating_into_a_folder_that_may_not_be_written_is_one_line(
    trained, tmp_path, monkeypatch, args, name
):
    fail(monkeypatch, errno.EACCES, name)
    args = [arg.format(tmp=tmp_path) for arg in args]
    message = the_error(*ganforge(args[0], str(trained), *args[1:]))
    assert message.startswith(f"could not write {tmp_path}/")
    assert f"{name}: Permission denied; make {tmp_path}" in message
    assert message.endswith("writable (or write elsewhere), then run the same command again")


def test_the_evaluator_cache_on_a_full_disk_is_one_line(tmp_path, monkeypatch, one_thread):
    rng = np.random.default_rng(0)
    folder = tmp_path / "tiny"
    folder.mkdir()
    for prefix, n in (("train", 256), ("t10k", 64)):
        write_idx(
            folder / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), np.uint8)
        )
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    fail(monkeypatch, errno.EDQUOT, "evaluators")
    args = ["evaluator", "train", "--data-dir", str(folder), "--epochs", "1"]
    message = the_error(*ganforge(*args))
    assert message.startswith(f"could not write evaluator {tmp_path}/home/evaluators/mnist-")
    assert message.endswith(
        ".safetensors: Disk quota exceeded; free space, then run the same command again"
    )
    assert list((tmp_path / "home" / "evaluators").iterdir()) == []


# -- a real full disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs at ``tmp_path/disk`` (root only), unmounted after the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)]
    mounted = subprocess.run(mount, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.mnist
def test_a_real_full_disk_is_one_line_and_the_run_resumes_once_there_is_room(
    small_disk, mnist_dir, one_thread
):
    """Checkpoints every 4 steps (730 KB each) fill the 3 MiB disk within 40 steps."""
    run = small_disk / "run"
    args = ["train", "gan", "--steps", "40", "--batch-size", "16", "--checkpoint-every", "4steps"]
    args += [*TINY_NETS, "--data-dir", str(mnist_dir), "--out", str(run)]
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "ganforge", *args], capture_output=True, text=True, env=env
    )
    message = the_error(proc.returncode, proc.stderr)
    assert message.startswith("could not write ") and str(run) in message
    assert ": No space left on device" in message and "; free space, then resume" in message
    assert message.endswith(f"`ganforge train --resume --out {run} --data-dir {mnist_dir}`")
    step = int(re.search(r"from the last checkpoint \(step (\d+), intact\)", message)[1])
    assert 0 < step < 40
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == step
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    code, stderr = ganforge("train", "--resume", "--out", str(run), "--data-dir", str(mnist_dir))
    assert code == 0, stderr
    assert json.loads((run / "summary.json").read_text())["steps"] == 40


def test_a_real_read_only_run_folder_is_one_line(small_disk, data, one_thread):
    """Permission to write taken away for real: the disk remounted read-only under a run."""
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    run = small_disk / "run"
    assert ganforge(*train_args(run, data, steps=4))[0] == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    resume = ["train", "--resume", "--out", str(run), "--steps", "8", "--data-dir", str(data)]
    assert the_error(*ganforge(*resume)) == (
        f"could not write {run}/train.lock: Read-only file system; make {run} writable (or "
        "write elsewhere), then run the same command again"
    )
    assert the_error(*ganforge("sample", str(run), "--npy", str(run / "s.npy"))) == (
        f"could not write {run}/s.npy: Read-only file system; make {run} writable (or write "
        "elsewhere), then run the same command again"
    )
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == 4
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert ganforge(*resume)[0] == 0
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == 8
