"""Outputs on step intervals (``--sample-every 3steps`` and alike): grids named by their
fractional epoch and in the GIF, numbered checkpoints a kill resumes from, evaluations in
eval.csv; a run killed and resumed ends as the uninterrupted one, bit for bit. And the sample
grid's size (``--grid``)."""

import dataclasses

import pytest
import torch
import yaml
from PIL import Image

import ganforge.engine.eval_hook as eval_hook
from ganforge.engine.trainer import Trainer, fixed_inputs, train
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import build_recipe, make_config

# tiny_data: 128 images in batches of 32, so an epoch is 4 steps; tiny_config trains 3 epochs.
STEP_INTERVALS = {"sample_every": "3steps", "checkpoint_every": "5steps", "eval_every": "5steps"}


class Killed(Exception):
    """A kill at a step: nothing after it is written (no checkpoint, as SIGKILL)."""


@pytest.fixture
def fake_scores(monkeypatch):
    """Evaluation without the evaluator: the real hook (eval.csv, best so far), with an FID
    that depends on the samples, so that equal states give equal rows."""

    def evaluate_images(images, labels, evaluator, reference):
        fid = 100.0 - images.float().mean().item() / 10
        return {"fid": fid, "recall": 0.5, "classes_covered": 10.0}

    monkeypatch.setattr(eval_hook, "evaluator_for", lambda *args: None)
    monkeypatch.setattr(eval_hook, "real_reference", lambda *args: None)
    monkeypatch.setattr(eval_hook, "evaluate_images", evaluate_images)


def names(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def without_time(path):
    """A CSV's rows without their time column, NaN as None (NaN equals nothing)."""
    rows = read_csv_rows(path)
    return [{k: None if v != v else v for k, v in r.items() if k != "time"} for r in rows]


def run_killed_at(cfg, run, data, step, resume):
    """Train ``cfg`` in ``run`` until a kill during ``step``; returns the trainer."""
    trainer = Trainer(cfg, run, data=data, resume=resume, display=False)
    real = trainer.train_step

    def step_or_die(batches):
        if trainer.step == step - 1:
            raise Killed(step)
        return real(batches)

    trainer.train_step = step_or_die
    with pytest.raises(Killed):
        trainer.run()
    return trainer


def test_step_interval_grids_are_named_by_fractional_epoch_and_in_the_gif(
    tmp_path, tiny_data, tiny_config
):
    run, plain, short = tmp_path / "run", tmp_path / "plain", tmp_path / "short"
    train(tiny_config(sample_every="3steps"), run, data=tiny_data, display=False)
    assert names(run / "samples") == [
        "epoch_0000.75.png",  # step 3 of 4 an epoch
        "epoch_0000.png",
        "epoch_0001.50.png",  # step 6
        "epoch_0002.25.png",  # step 9
        "epoch_0003.png",  # step 12: the last
    ]
    with Image.open(run / "progress.gif") as gif:
        assert gif.n_frames == 5
    assert yaml_train(run)["sample_every"] == "3steps"
    # The grid at step 3 is the state of step 3, and drawing it changes no training.
    train(tiny_config(steps=3), short, data=tiny_data, display=False)
    grid = "samples/epoch_0000.75.png"
    assert (run / grid).read_bytes() == (short / grid).read_bytes()
    train(tiny_config(), plain, data=tiny_data, display=False)
    assert without_time(run / "metrics/batches.csv") == without_time(plain / "metrics/batches.csv")


def yaml_train(run):
    return yaml.safe_load((run / "config.yaml").read_text())["train"]


def test_step_interval_checkpoints_are_numbered_and_resumed_from(tmp_path, tiny_data, tiny_config):
    run = tmp_path / "run"
    cfg = tiny_config(checkpoint_every="5steps")
    run_killed_at(cfg, run, tiny_data, step=7, resume=False)
    layout = RunLayout(run)
    # Step 5 (epoch 1.25) got a numbered checkpoint, which is the last one a kill leaves.
    assert names(run / "checkpoints") == ["epoch_0001.25.safetensors", "last.safetensors"]
    assert load_checkpoint(layout.last_checkpoint).step == 5
    Trainer(cfg, run, data=tiny_data, resume=True, display=False).run()
    numbered = layout.epoch_checkpoints()
    assert [p.name for p in numbered] == [
        "epoch_0001.25.safetensors",
        "epoch_0002.50.safetensors",
        "epoch_0003.safetensors",  # the last epoch's, as always
    ]
    assert [load_checkpoint(p).step for p in numbered] == [5, 10, 12]


def test_step_interval_evaluations_go_to_eval_csv(tmp_path, tiny_data, tiny_config, fake_scores):
    run = tmp_path / "run"
    Trainer(tiny_config(eval_every="5steps"), run, data=tiny_data, display=False).run()
    rows = read_csv_rows(run / "metrics" / "eval.csv")
    assert [(r["step"], r["epoch"]) for r in rows] == [(5, 1.25), (10, 2.5), (12, 3.0)]
    best = min(rows, key=lambda r: r["fid"])
    assert load_checkpoint(run / "checkpoints" / "best.safetensors").step == best["step"]


def test_a_step_interval_run_killed_and_resumed_equals_the_uninterrupted_one(
    tmp_path, tiny_data, tiny_config, fake_scores
):
    """Killed twice (at steps 7 and 11: after the step-5 and step-10 checkpoints, between
    grids) and resumed: the same logs, grids, GIF, evaluations, numbered checkpoints and
    weights, bit for bit."""
    cfg = tiny_config(model={"dropout": 0.3}, **STEP_INTERVALS)
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    Trainer(cfg, straight, data=tiny_data, display=False).run()
    run_killed_at(cfg, killed, tiny_data, step=7, resume=False)
    assert load_checkpoint(killed / "checkpoints" / "last.safetensors").step == 5
    run_killed_at(cfg, killed, tiny_data, step=11, resume=True)
    assert load_checkpoint(killed / "checkpoints" / "last.safetensors").step == 10
    Trainer(cfg, killed, data=tiny_data, resume=True, display=False).run()

    for csv in ("batches.csv", "epochs.csv", "eval.csv"):
        assert without_time(killed / "metrics" / csv) == without_time(straight / "metrics" / csv)
    assert len(read_csv_rows(straight / "metrics" / "eval.csv")) == 3
    for folder in ("samples", "checkpoints"):
        assert names(killed / folder) == names(straight / folder)
    for name in names(straight / "samples"):
        a, b = ((run / "samples" / name).read_bytes() for run in (straight, killed))
        assert a == b, name
    assert (killed / "progress.gif").read_bytes() == (straight / "progress.gif").read_bytes()
    for name in names(straight / "checkpoints"):
        a, b = (load_checkpoint(run / "checkpoints" / name) for run in (straight, killed))
        assert a.step == b.step
        assert a.tensors.keys() == b.tensors.keys()
        assert all(torch.equal(a.tensors[k], b.tensors[k]) for k in a.tensors), name


def test_a_smaller_grid_shows_the_default_grids_first_latents():
    recipe = build_recipe(make_config("gan"), 10)
    z64, _, columns = fixed_inputs(recipe, seed=3)
    z16, labels, cols = fixed_inputs(recipe, seed=3, grid="4x4")
    assert (z16.shape[0], cols, labels, columns) == (16, 4, None, 8)
    assert torch.equal(z16, z64[:16])
    z, _, cols = fixed_inputs(recipe, seed=3, grid="2x5")
    assert (z.shape[0], cols) == (10, 5)


def test_a_conditional_grid_keeps_a_row_per_class_in_the_grids_columns():
    recipe = build_recipe(make_config("acgan"), 10)
    z8, _, _ = fixed_inputs(recipe, seed=0)
    z, labels, cols = fixed_inputs(recipe, seed=0, grid="4x4")
    assert cols == 4 and z.shape[0] == 40
    assert labels.tolist() == [c for c in range(10) for _ in range(4)]
    assert torch.equal(z[:4], z8[:4]) and torch.equal(z[4:8], z[:4])  # the same 4 styles


def test_the_grid_size_is_kept_on_resume(tmp_path, tiny_data, tiny_config):
    run = tmp_path / "run"
    cfg = tiny_config(sample_grid="4x4", sample_every=1)
    Trainer(cfg, run, data=tiny_data, display=False).run(stop_at=6)
    resumed = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, epochs=3))
    Trainer(resumed, run, data=tiny_data, resume=True, display=False).run()
    assert yaml_train(run)["sample_grid"] == "4x4"
    for name in names(run / "samples"):
        with Image.open(run / "samples" / name) as grid:
            assert grid.size == (4 * 30 + 2, 4 * 30 + 2), name
