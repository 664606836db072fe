"""Tiny training runs on real MNIST with D's images augmented (``--augment``): they finish,
log ADA's p and r_t (CSV, progress line, plots), and resume bit for bit."""

import subprocess
import sys
from dataclasses import replace

import pytest
import torch

from ganforge.engine.trainer import Trainer, train
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import make_config

pytestmark = pytest.mark.mnist

# p moves by 2 steps × 32 real images / 640 = 0.1 an interval (× d_steps, each D step judging
# a real batch): visibly within a 12-step run.
FAST_ADA = {"ada_speed": 640, "ada_interval": 2}


def tiny(recipe: str, model: dict, **train_keys):
    nets = {} if recipe == "gan" else {"g_channels": 8, "d_channels": 8}
    settings = {"batch_size": 32, "log_every": 4, "steps": 12, **train_keys}
    return make_config(recipe, overrides={"train": settings, "model": {**nets, **model}})


@pytest.mark.parametrize(
    ("recipe", "augment"),
    [("dcgan", "ada"), ("wgan-gp", "ada"), ("acgan", "ada"), ("gan", "diffaugment")],
)
def test_augmented_runs_finish_and_log_p(tmp_path, mnist_small, recipe, augment):
    cfg = tiny(recipe, {"augment": augment, **FAST_ADA})
    result = train(cfg, tmp_path / "run", data=mnist_small, display=False)
    assert result.step == 12
    rows = read_csv_rows(tmp_path / "run" / "metrics" / "batches.csv")
    if augment == "diffaugment":
        assert "ada_p" not in rows[0]
        return
    p = [r["ada_p"] for r in rows]
    assert p[:2] == [0.0, 0.0] and all(0.0 <= v <= 1.0 for v in p)
    # Each 2-step interval moves p by its real images / 640 (up or down, or not at 0 or 1).
    move = round(2 * 32 * cfg.model.d_steps / 640, 6)
    steps = [(round(abs(b - a), 6), b) for a, b in zip(p[1::2], p[2::2], strict=False)]
    assert all(size == move or after in (0.0, 1.0) for size, after in steps)
    assert max(size for size, _ in steps) == move
    assert all(-1.0 <= r["ada_rt"] <= 1.0 for r in rows)
    ckpt = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.safetensors")
    assert abs(ckpt.module_state("augment")["p"].item() - p[-1]) <= move + 1e-6


def test_train_augment_flag_logs_p_on_the_status_line_and_the_plot(tmp_path, mnist_dir):
    out = tmp_path / "run"
    args = ["train", "dcgan", "--augment", "ada", "--steps", "8", "--batch-size", "16"]
    args += ["--data-dir", str(mnist_dir), "--out", str(out), "--plain", "--log-every", "4"]
    args += ["--set", "model.g_channels=8", "--set", "model.d_channels=8"]
    args += ["--set", "model.ada_speed=64", "--set", "model.ada_interval=1"]
    done = subprocess.run(
        [sys.executable, "-m", "ganforge", *args], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ada_p " in done.stderr and "ada_rt " in done.stderr
    assert "augment: ada" in (out / "config.yaml").read_text()
    assert (out / "plots" / "loss_per_batch.png").stat().st_size > 0


def test_a_killed_and_resumed_ada_run_equals_an_uninterrupted_one(tmp_path, mnist_small):
    """Stopped mid-interval (step 5 of intervals of 2: the sums of step 4 in the checkpoint)
    and at an interval's end, then resumed: the same log, p and weights, bit for bit."""
    data = replace(mnist_small, images=mnist_small.images[:320], labels=mnist_small.labels[:320])
    cfg = tiny("dcgan", {"augment": "ada", **FAST_ADA}, steps=None, epochs=2)
    straight, pieces = tmp_path / "straight", tmp_path / "pieces"
    train(cfg, straight, data=data, display=False)
    Trainer(cfg, pieces, data=data, display=False).run(stop_at=5)
    Trainer(cfg, pieces, data=data, resume=True, display=False).run(stop_at=10)
    Trainer(cfg, pieces, data=data, resume=True, display=False).run()

    def log(run):
        return [
            {k: v for k, v in r.items() if k != "time"}
            for r in read_csv_rows(run / "metrics" / "batches.csv")
        ]

    assert log(pieces) == log(straight)
    assert max(r["ada_p"] for r in log(straight)) > 0  # p moved: the test tests something
    a = load_checkpoint(straight / "checkpoints" / "last.safetensors").tensors
    b = load_checkpoint(pieces / "checkpoints" / "last.safetensors").tensors
    for key in a:
        if key.startswith(("generator", "discriminator", "augment")):
            assert torch.equal(a[key], b[key]), key
