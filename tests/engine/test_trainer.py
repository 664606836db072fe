"""The generic training loop on real MNIST: outputs, exact resume, limits and guards."""

import json
import math
import shlex
import signal
from dataclasses import replace

import pytest
import torch
import yaml

from ganforge.engine.divergence import TrainingDiverged
from ganforge.engine.trainer import (
    RunComplete,
    Trainer,
    TrainingInterrupted,
    fixed_inputs,
    train,
)
from ganforge.errors import ConfigError, GanforgeError
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import make_config

pytestmark = pytest.mark.mnist


# The conv recipes at a quarter of their width: these tests check the loop (resume, logs,
# outputs, guards), which is the same for any width, and 16 channels step several times faster
# than 64 on one core. (The recipes' own nets train end to end in tests/test_end_to_end.py.)
NARROW = {"g_channels": 16, "d_channels": 16}


def small_config(recipe: str, model: dict | None = None, **train):
    settings = {"batch_size": 32, "log_every": 5, "epochs": 2, **train}
    nets = NARROW if recipe != "gan" else {}
    return make_config(recipe, overrides={"train": settings, "model": {**nets, **(model or {})}})


def losses(run_dir):
    rows = read_csv_rows(run_dir / "metrics" / "batches.csv")
    return [{k: v for k, v in r.items() if k != "time"} for r in rows]


def losses_per_epoch(run_dir):
    rows = read_csv_rows(run_dir / "metrics" / "epochs.csv")
    return [{k: v for k, v in r.items() if k != "time"} for r in rows]


def generator_weights(run_dir):
    """G's weights, and those of its average if the run keeps one."""
    ckpt = load_checkpoint(run_dir / "checkpoints" / "last.safetensors")
    ema = {f"ema.{k}": v for k, v in ckpt.module_state("generator_ema").items()}
    return {**ckpt.module_state("generator"), **ema}


def test_run_writes_every_output(tmp_path, mnist_small):
    run = tmp_path / "run"
    result = train(small_config("dcgan"), run, data=mnist_small, display=False)
    assert result.step == 40 and result.epochs_done == 2.0
    for name in ("config.yaml", "summary.json", "progress.gif"):
        assert (run / name).stat().st_size > 0, name
    assert sorted(p.name for p in (run / "samples").glob("*.png")) == [
        "epoch_0000.png",
        "epoch_0001.png",
        "epoch_0002.png",
    ]
    assert {p.name for p in (run / "plots").glob("*.png")} == {
        "loss_per_batch.png",
        "loss_per_epoch.png",
    }
    assert {p.name for p in (run / "checkpoints").iterdir()} == {
        "last.safetensors",
        "epoch_0001.safetensors",
        "epoch_0002.safetensors",
    }
    batches = read_csv_rows(run / "metrics" / "batches.csv")
    epochs = read_csv_rows(run / "metrics" / "epochs.csv")
    assert [r["step"] for r in batches] == list(range(1, 41))
    assert [r["epoch"] for r in epochs] == [1.0, 2.0]
    assert all(math.isfinite(r[k]) for r in batches for k in ("d_loss", "g_loss", "d_real"))
    # The epoch row is the mean of that epoch's batch rows.
    first = [r["d_loss"] for r in batches if r["epoch"] <= 1]
    assert epochs[0]["d_loss"] == pytest.approx(sum(first) / len(first))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["recipe"] == "dcgan" and summary["steps"] == 40
    # The 16-channel nets it trained (the recipes' own counts are pinned in tests/models).
    assert (summary["params_g"], summary["params_d"]) == (165_345, 10_097)
    assert summary["images_per_s"] > 0 and summary["train_images"] == 640
    assert summary["versions"]["torch"] == torch.__version__
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["recipe"] == "dcgan" and saved["train"]["batch_size"] == 32


@pytest.mark.parametrize(
    ("recipe", "model"),
    [("dcgan", {"ema_decay": 0.99}), ("improved-dcgan", {}), ("wgan-gp", {}), ("acgan", {})],
)
def test_interrupted_and_resumed_run_equals_uninterrupted_run(tmp_path, mnist_small, recipe, model):
    """Interrupt at the end of epoch 1 and inside epoch 2, resume each time: same losses,
    same epoch rows, same final weights, bit for bit (dropout, input noise, label sampling,
    the annealing schedule and G's weight average all continue where they were)."""
    cfg = small_config(recipe, model)
    data = replace(mnist_small, images=mnist_small.images[:320], labels=mnist_small.labels[:320])
    straight = tmp_path / "straight"
    train(cfg, straight, data=data, display=False)

    pieces = tmp_path / "pieces"
    spe = 10 // cfg.model.batches_per_step  # 320 images in batches of 32
    Trainer(cfg, pieces, data=data, display=False).run(stop_at=spe)
    Trainer(cfg, pieces, data=data, resume=True, display=False).run(stop_at=spe + 3)
    assert load_checkpoint(pieces / "checkpoints" / "last.safetensors").step == spe + 3
    Trainer(cfg, pieces, data=data, resume=True, display=False).run()

    assert losses(pieces) == losses(straight)
    assert losses_per_epoch(pieces) == losses_per_epoch(straight)
    a, b = generator_weights(straight), generator_weights(pieces)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    if cfg.model.ema_decay:  # the average's batch-norm statistics are its own, not G's
        means = [k for k in a if k.endswith("running_mean") and not k.startswith("ema.")]
        assert means and not any(torch.equal(a[k], a[f"ema.{k}"]) for k in means)


def test_resume_is_exact_with_sampled_batches_and_soft_labels(tmp_path, mnist_small):
    """The Keras 1 loop's pieces (class-homogeneous random batches, a joint D batch, a 2-way
    head on noisy soft labels, fakes for the real batch's classes) resume bit for bit too."""
    model = {"d_output": "pair", "soft_labels": True, "joint_batch": True, "fake_labels": "real"}
    cfg = small_config("acgan", model, sampling="class", epoch_steps=6, batch_size=8)
    straight, pieces = tmp_path / "straight", tmp_path / "pieces"
    train(cfg, straight, data=mnist_small, display=False)
    Trainer(cfg, pieces, data=mnist_small, display=False).run(stop_at=8)
    Trainer(cfg, pieces, data=mnist_small, resume=True, display=False).run()
    assert len(losses(straight)) == 12  # 2 epochs of 6 steps
    assert losses(pieces) == losses(straight)
    a, b = generator_weights(straight), generator_weights(pieces)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_d_steps_on_the_same_batch(tmp_path, mnist_small, monkeypatch):
    """``d_steps_same_batch``: every D update of a step sees the step's one real batch, so an
    epoch is one pass in n/B steps (20 here), not n/(B·d_steps) (10)."""
    seen = []
    cfg = small_config("dcgan", {"d_steps": 2, "d_steps_same_batch": True}, epochs=1)
    trainer = Trainer(cfg, tmp_path / "run", data=mnist_small, display=False)
    step = trainer.recipe.discriminator_step_loss

    def spy(real, labels):
        seen.append(real)
        return step(real, labels)

    monkeypatch.setattr(trainer.recipe, "discriminator_step_loss", spy)
    assert trainer.steps_per_epoch == 20
    result = trainer.run()
    assert result.step == 20 and len(seen) == 40
    assert all(torch.equal(seen[i], seen[i + 1]) for i in range(0, 40, 2))
    assert not torch.equal(seen[0], seen[2])


def test_extending_a_finished_run_equals_training_longer(tmp_path, mnist_small):
    """`--resume --epochs 2` on a finished 1-epoch run equals a 2-epoch run (dcgan has no
    schedule that depends on the run's length)."""
    straight, extended = tmp_path / "straight", tmp_path / "extended"
    train(small_config("dcgan"), straight, data=mnist_small, display=False)
    train(small_config("dcgan", epochs=1), extended, data=mnist_small, display=False)
    train(small_config("dcgan"), extended, data=mnist_small, resume=True, display=False)
    assert losses(extended) == losses(straight)


def test_resume_drops_rows_logged_after_the_checkpoint(tmp_path, mnist_small):
    run = tmp_path / "run"
    train(small_config("gan", epochs=1), run, data=mnist_small, display=False)
    log = run / "metrics" / "batches.csv"
    # A crash after the checkpoint but with more rows flushed: those rows must go.
    log.write_text(log.read_text() + "21,1.05,9.9,1,1,1,1\n")
    train(small_config("gan", epochs=2), run, data=mnist_small, resume=True, display=False)
    steps = [r["step"] for r in read_csv_rows(log)]
    assert steps == list(range(1, 41))


def test_existing_run_is_not_overwritten(tmp_path, mnist_small):
    run = tmp_path / "run"
    train(small_config("gan", steps=3), run, data=mnist_small, display=False)
    before = (run / "checkpoints" / "last.safetensors").read_bytes()
    with pytest.raises(GanforgeError, match="already holds a run; pass --resume"):
        Trainer(small_config("gan", steps=3), run, data=mnist_small)
    assert (run / "checkpoints" / "last.safetensors").read_bytes() == before


def test_resume_needs_a_checkpoint_of_the_same_recipe(tmp_path, mnist_small):
    with pytest.raises(GanforgeError, match="nothing to resume"):
        Trainer(small_config("gan"), tmp_path / "empty", data=mnist_small, resume=True)
    run = tmp_path / "run"
    train(small_config("gan", steps=2), run, data=mnist_small, display=False)
    with pytest.raises(GanforgeError, match="'gan' checkpoint; cannot resume it as 'dcgan'"):
        Trainer(small_config("dcgan"), run, data=mnist_small, resume=True)


def test_steps_limit_stops_mid_epoch_with_a_checkpoint(tmp_path, mnist_small):
    run = tmp_path / "run"
    result = train(small_config("wgan-gp", steps=3), run, data=mnist_small, display=False)
    assert result.step == 3
    assert len(read_csv_rows(run / "metrics" / "batches.csv")) == 3
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == 3
    # wgan-gp logs its penalty and distance estimate besides the four base statistics.
    assert {"gp", "w_dist"} <= set(read_csv_rows(run / "metrics" / "batches.csv")[0])


def test_r1_penalty_is_logged_when_on(tmp_path, mnist_small):
    for r1_weight, logged in ((2.0, True), (0.0, False)):
        run = tmp_path / f"r1-{r1_weight}"
        train(
            small_config("dcgan", {"r1_weight": r1_weight}, steps=2),
            run,
            data=mnist_small,
            display=False,
        )
        rows = read_csv_rows(run / "metrics" / "batches.csv")
        assert ("r1" in rows[0]) is logged
        if logged:
            assert all(float(r["r1"]) > 0 for r in rows)


def test_divergence_stops_the_run_and_keeps_the_last_good_checkpoint(
    tmp_path, mnist_small, monkeypatch
):
    run = tmp_path / "run"
    cfg = small_config("dcgan", epochs=2)
    trainer = Trainer(cfg, run, data=mnist_small, display=False)
    real_step = trainer.train_step

    def step_then_nan(batches):
        stats = real_step(batches)
        return stats * float("nan") if trainer.step >= 25 else stats

    monkeypatch.setattr(trainer, "train_step", step_then_nan)
    with pytest.raises(TrainingDiverged, match="non-finite d_loss"):
        trainer.run()
    ckpt = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert ckpt.step == 20  # the end of epoch 1, written before the NaN
    assert all(torch.isfinite(t).all() for t in ckpt.tensors.values() if t.is_floating_point())


def test_conditional_grid_has_one_row_per_class(mnist_small):
    trainer_cfg = small_config("acgan")
    from ganforge.setup.build import build_recipe

    recipe = build_recipe(trainer_cfg, 10)
    z, labels, cols = fixed_inputs(recipe, seed=0)
    assert cols == 8 and z.shape == (80, 100)
    assert labels.tolist() == [c for c in range(10) for _ in range(8)]
    # The same 8 latents in every row: a column is one style across the classes.
    assert torch.equal(z[:8], z[8:16])


def test_tensorboard_writes_events(tmp_path, mnist_small):
    pytest.importorskip("tensorboard", reason="the tensorboard extra")
    run = tmp_path / "run"
    train(small_config("gan", steps=5, tensorboard=True), run, data=mnist_small, display=False)
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))


def test_resuming_a_finished_run_changes_nothing(tmp_path, mnist_small):
    run = tmp_path / "run"
    train(small_config("gan", epochs=1), run, data=mnist_small, display=False)
    summary = (run / "summary.json").read_bytes()
    with pytest.raises(
        RunComplete, match=r"already at step 20 \(1 epochs\); pass a larger --epochs"
    ):
        Trainer(small_config("gan", epochs=1), run, data=mnist_small, resume=True)
    assert (run / "summary.json").read_bytes() == summary


def test_fresh_run_over_a_crashed_runs_leftovers_starts_clean(tmp_path, mnist_small):
    run = tmp_path / "run"
    train(small_config("gan", steps=7), run, data=mnist_small, display=False)
    # A crash before the first checkpoint leaves logs and grids but no checkpoint.
    for ckpt in (run / "checkpoints").iterdir():
        ckpt.unlink()
    train(small_config("gan", steps=5), run, data=mnist_small, display=False)
    assert [r["step"] for r in read_csv_rows(run / "metrics" / "batches.csv")] == [1, 2, 3, 4, 5]
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "epoch_0000.25.png",
        "epoch_0000.png",
    ]


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [("train", "batch_size", 16), ("train", "seed", 1), ("model", "lr_d", 1e-3)],
)
def test_resume_refuses_settings_that_change_the_run(tmp_path, mnist_small, section, key, value):
    run = tmp_path / "run"
    train(small_config("dcgan", steps=3), run, data=mnist_small, display=False)
    if section == "model":
        changed = small_config("dcgan", {key: value})
    else:
        changed = small_config("dcgan", **{key: value})
    with pytest.raises(ConfigError, match=f"cannot change {section}.{key} when resuming"):
        Trainer(changed, run, data=mnist_small, resume=True)


def test_resume_refuses_other_training_data(tmp_path, mnist_small):
    run = tmp_path / "run"
    train(small_config("gan", steps=3), run, data=mnist_small, display=False)
    from dataclasses import replace

    other = replace(mnist_small, images=mnist_small.images.flip(0), fingerprint="0" * 16)
    with pytest.raises(ConfigError, match=r"not the data .* was trained on"):
        Trainer(small_config("gan"), run, data=other, resume=True)


def test_run_ending_inside_an_epoch_gets_a_final_grid_in_the_gif(tmp_path, mnist_small):
    run = tmp_path / "run"
    train(small_config("dcgan", steps=25), run, data=mnist_small, display=False)
    names = sorted(p.name for p in (run / "samples").iterdir())
    assert names == ["epoch_0000.png", "epoch_0001.25.png", "epoch_0001.png"]
    from PIL import Image

    assert Image.open(run / "progress.gif").n_frames == 3


def test_ctrl_c_finishes_the_step_saves_and_resumes_exactly(tmp_path, mnist_small, monkeypatch):
    """SIGINT mid-run: the step completes, a checkpoint is written, TrainingInterrupted says
    how to resume, and the resumed run equals an uninterrupted one."""
    cfg = small_config("improved-dcgan")
    straight = tmp_path / "straight"
    train(cfg, straight, data=mnist_small, display=False)

    run = tmp_path / "run"
    trainer = Trainer(cfg, run, data=mnist_small, display=False)
    real_step = trainer.train_step

    def step_and_maybe_interrupt(batches):
        stats = real_step(batches)
        if trainer.step == 12:  # the 13th step is under way: Ctrl-C arrives now
            signal.raise_signal(signal.SIGINT)
        return stats

    monkeypatch.setattr(trainer, "train_step", step_and_maybe_interrupt)
    with pytest.raises(TrainingInterrupted, match="SIGINT at step 13: checkpoint saved"):
        trainer.run()
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == 13
    Trainer(cfg, run, data=mnist_small, resume=True, display=False).run()
    assert losses(run) == losses(straight)


def test_eval_every_scores_keeps_the_best_and_does_not_change_training(
    tmp_path, mnist_small, mnist_dir, mnist_evaluator
):
    plain, evaluated = tmp_path / "plain", tmp_path / "evaluated"
    train(small_config("dcgan"), plain, data=mnist_small, display=False)
    cfg = small_config("dcgan", eval_every=1, eval_samples=200)
    Trainer(cfg, evaluated, data=mnist_small, data_dir=mnist_dir, display=False).run()

    assert losses(evaluated) == losses(plain)  # evaluation never touches training's RNG
    rows = read_csv_rows(evaluated / "metrics" / "eval.csv")
    assert [r["epoch"] for r in rows] == [1.0, 2.0]
    assert all(r["fid"] > 0 and 0 <= r["recall"] <= 1 for r in rows)
    best_epoch = min(rows, key=lambda r: r["fid"])["epoch"]
    summary = json.loads((evaluated / "summary.json").read_text())
    assert summary["evaluation"]["best_epoch"] == best_epoch
    best = load_checkpoint(evaluated / "checkpoints" / "best.safetensors")
    assert best.step == 20 * best_epoch
    assert (evaluated / "plots" / "eval.png").stat().st_size > 0


def test_a_kill_while_finishing_is_completed_by_resume(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    """Killed after the final checkpoint, before summary.json: --resume writes the missing
    outputs (and the leftover temporary files go) instead of calling the run complete."""
    run, cfg = tmp_path / "run", tiny_config(epochs=1)
    trainer = Trainer(cfg, run, data=tiny_data, display=False)

    def killed() -> None:
        (run / "metrics" / ".batches.csv.x1y2.tmp").write_text("half a rewrite")
        (run / "summary.json.tmp").write_text("{")
        raise RuntimeError("killed")

    monkeypatch.setattr(trainer, "_finish", killed)  # before the GIF, the plots, the summary
    with pytest.raises(RuntimeError, match="killed"):
        trainer.run()
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == 4
    assert not (run / "summary.json").exists()
    batches = (run / "metrics" / "batches.csv").read_bytes()

    result = Trainer(cfg, run, data=tiny_data, resume=True, display=False).run()
    assert result.step == 4 and result.images_per_s > 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["final"]["step"] == 4
    assert (run / "metrics" / "batches.csv").read_bytes() == batches  # nothing trained again
    assert (run / "progress.gif").exists()
    assert not list(run.rglob("*.tmp"))
    with pytest.raises(RunComplete):
        Trainer(cfg, run, data=tiny_data, resume=True, display=False)


def test_ctrl_c_hint_is_the_exact_resume_command(tmp_path, tiny_data, tiny_config, monkeypatch):
    run, data_dir = tmp_path / "run", tmp_path / "my data"
    trainer = Trainer(tiny_config(), run, data=tiny_data, data_dir=data_dir, display=False)
    real_step = trainer.train_step

    def step_and_interrupt(batches):
        signal.raise_signal(signal.SIGINT)
        return real_step(batches)

    monkeypatch.setattr(trainer, "train_step", step_and_interrupt)
    with pytest.raises(TrainingInterrupted) as stopped:
        trainer.run()
    command = str(stopped.value).split("`")[1]
    assert shlex.split(command) == [
        *("ganforge", "train", "--resume", "--out", str(run)),
        *("--data-dir", str(data_dir)),
    ]


def test_time_limit_ends_the_run_with_its_outputs_and_resumes_with_a_larger_one(
    tmp_path, tiny_data, tiny_config
):
    run = tmp_path / "run"
    cfg = tiny_config(epochs=10_000, log_every=2, time_limit=0.3)
    result = Trainer(cfg, run, data=tiny_data, display=False).run()
    assert 0 < result.step < 40_000 and result.wall_time_s >= 0.3
    ckpt = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert ckpt.step == result.step
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == result.step
    assert RunLayout(run).sample_grid(result.epochs_done).exists()  # the final state's grid
    with pytest.raises(RunComplete, match=r"time limit of 0\.3 s"):
        Trainer(cfg, run, data=tiny_data, resume=True, display=False)
    # Relative to the time trained: on a loaded machine the first steps alone can pass 0.6 s.
    limit = round(result.wall_time_s + 0.5, 1)
    longer = tiny_config(epochs=10_000, log_every=2, time_limit=limit)
    resumed = Trainer(longer, run, data=tiny_data, resume=True, display=False).run()
    assert resumed.step > result.step and resumed.wall_time_s >= limit


def test_evaluation_time_is_not_training_time(tmp_path, tiny_data, tiny_config, monkeypatch):
    """Training seconds leave evaluations out, measured on a clock the test drives (no wall
    clock: a loaded machine changes nothing): each step takes 1 s of it, each evaluation
    1,000 s, and the run's training time is exactly its 12 steps' 12 s."""
    import time

    import ganforge.engine.eval_hook as eval_hook

    now = [1000.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])

    class SlowEval:
        def __init__(self, *args):
            self.calls = 0

        @classmethod
        def for_run(cls, *args):
            return cls()

        def __call__(self, *args):
            self.calls += 1
            now[0] += 1000.0
            return {"fid": 1.0, "recall": 1.0, "classes_covered": 10}, False

        def state(self):
            return {}

    monkeypatch.setattr(eval_hook, "EvalHook", SlowEval)
    trainer = Trainer(tiny_config(eval_every=1), tmp_path / "run", data=tiny_data)
    real_step = trainer.train_step

    def one_second_step(batches):
        now[0] += 1.0
        return real_step(batches)

    monkeypatch.setattr(trainer, "train_step", one_second_step)
    result = trainer.run()
    assert trainer.eval.calls == 3  # 3 epochs of 4 steps, each evaluated
    assert result.wall_time_s == 12.0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["wall_time_s"] == 12.0


def test_time_limit_ends_the_run_at_the_step_that_reaches_it(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    """On a clock the test drives (no wall clock): each step takes 1 s, one of them (a loaded
    machine) 30 s. A limit of 5.5 s ends the run at step 6, the first to end past it, not at
    the log interval (20 steps) or the epoch's end (50): the host clock is read every step.
    The interval closes there, so every step's statistics reach batches.csv."""
    import time

    now = [1000.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    cfg = tiny_config(
        epochs=100, log_every=20, time_limit=5.5, sampling="replacement", epoch_steps=50
    )
    trainer = Trainer(cfg, tmp_path / "run", data=tiny_data, display=False)
    real_step = trainer.train_step

    def timed_step(batches):
        now[0] += 1.0
        return real_step(batches)

    monkeypatch.setattr(trainer, "train_step", timed_step)
    result = trainer.run()
    assert result.step == 6 and result.wall_time_s == 6.0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert (summary["steps"], summary["wall_time_s"]) == (6, 6.0)
    rows = read_csv_rows(tmp_path / "run" / "metrics" / "batches.csv")
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6] and rows[-1]["time"] == 6.0
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.safetensors").step == 6

    # Resumed with a limit of 10 s: steps 7 and 8 take 1 s, step 9 30 s (a loaded machine),
    # so the run ends at step 9's end, 38 s: the one step over, never the interval's 20.
    def loaded_step(batches):
        now[0] += 30.0 if trainer2.step == 8 else 1.0
        return real_step2(batches)

    longer = tiny_config(
        epochs=100, log_every=20, time_limit=10.0, sampling="replacement", epoch_steps=50
    )
    trainer2 = Trainer(longer, tmp_path / "run", data=tiny_data, resume=True, display=False)
    real_step2 = trainer2.train_step
    monkeypatch.setattr(trainer2, "train_step", loaded_step)
    resumed = trainer2.run()
    assert resumed.step == 9 and resumed.wall_time_s == 6.0 + 2.0 + 30.0


def test_peak_memory_leaves_evaluations_out(tmp_path, tiny_data, tiny_config, monkeypatch):
    """The summary's peak memory is training's: an evaluation's larger one is left out."""
    import ganforge.engine.eval_hook as eval_hook

    class GreedyEval:
        def __init__(self, *args):
            pass

        @classmethod
        def for_run(cls, *args):
            return cls()

        def __call__(self, *args):
            block = torch.ones(512 * 2**20 // 4)  # 512 MiB, touched, then freed
            del block
            return {"fid": 1.0, "recall": 1.0, "classes_covered": 10}, False

        def state(self):
            return {}

        def restore(self, meta, step):
            pass

    monkeypatch.setattr(eval_hook, "EvalHook", GreedyEval)
    cfg = tiny_config(epochs=2, eval_every=1)
    Trainer(cfg, tmp_path / "run", data=tiny_data, display=False).run()
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["peak_memory_kind"] == "process RSS"
    from ganforge.engine.memory import peak_rss_mib, reset_peak_rss

    reset_peak_rss()
    now = peak_rss_mib()  # the process as it is: training's peak is about that, not +512
    assert 0 < summary["peak_memory_mib"] < now + 256
    # A session that only writes a killed run's final outputs keeps the run's peak.
    (tmp_path / "run" / "summary.json").unlink()
    Trainer(cfg, tmp_path / "run", data=tiny_data, resume=True, display=False).run()
    again = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert again["peak_memory_mib"] == summary["peak_memory_mib"]


def test_progress_follows_the_time_limit_where_it_is_nearer(tmp_path, tiny_data, tiny_config):
    """Annealed tricks reach their end at a time limit too, not only at the last step."""
    trainer = Trainer(tiny_config(epochs=10, time_limit=4.0), tmp_path / "run", data=tiny_data)
    try:
        trainer.step, trainer.elapsed = 10, 1.0  # 10 of 40 steps, a quarter of the time
        assert trainer.progress() == pytest.approx(0.25)
        trainer.elapsed = 3.0
        assert trainer.progress() == pytest.approx(0.75)
        trainer.elapsed = 9.0
        assert trainer.progress() == 1.0
        trainer.cfg.train.time_limit = 0.0
        assert trainer.progress() == pytest.approx(0.25)
    finally:
        trainer.close()
