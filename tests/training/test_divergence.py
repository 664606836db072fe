"""Divergence guard: "D wins" warnings, NaN → stop or roll back, never a NaN checkpoint."""

import math
import sys

import pytest
import torch

import ganforge.cli.train as cli_train
from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.models.objectives import AuxClassifierRecipe, BCERecipe, WassersteinRecipe
from ganforge.reporting import read_csv_rows
from ganforge.training.checkpoint import load_checkpoint
from ganforge.training.divergence import (
    DWinsDetector,
    lower_learning_rates,
    non_finite,
    non_finite_weights,
)
from ganforge.training.event_log import EventLog
from ganforge.training.trainer import Trainer, TrainingDiverged


def interval(step: int, d_real: float, d_fake: float, n: int = 2) -> list[dict[str, float]]:
    return [{"step": step + i, "d_real": d_real, "d_fake": d_fake} for i in range(n)]


# -- units --------------------------------------------------------------------------------------


def test_d_wins_is_reported_once_per_streak_of_k_intervals():
    detector = DWinsDetector(intervals=3)
    winning = [detector.update(interval(10 * i, 0.995, 0.004)) for i in range(5)]
    assert winning[:2] == [None, None] and winning[3:] == [None, None]
    assert "D wins completely: D(x) 0.995, D(G(z)) 0.004 for 3 log intervals" in winning[2]
    assert "(steps 0-21)" in winning[2]
    # A balanced interval ends the streak; a new streak of 3 warns again.
    assert detector.update(interval(50, 0.7, 0.3)) is None
    again = [detector.update(interval(60 + 10 * i, 0.999, 0.0)) for i in range(3)]
    assert again[:2] == [None, None] and again[2] is not None


@pytest.mark.parametrize(("d_real", "d_fake"), [(0.99, 0.001), (0.999, 0.01), (0.5, 0.5)])
def test_d_wins_needs_both_thresholds_strictly(d_real, d_fake):
    detector = DWinsDetector(intervals=1)
    assert detector.update(interval(0, d_real, d_fake)) is None


def test_only_probability_recipes_are_checked_for_d_winning():
    assert BCERecipe.probability_outputs and AuxClassifierRecipe.probability_outputs
    assert not WassersteinRecipe.probability_outputs  # raw critic scores


def test_non_finite_finds_nan_and_inf():
    assert non_finite({"a": 1.0, "b": math.nan, "c": -math.inf}) == ["b", "c"]
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    assert non_finite_weights({"g": net}) == []
    net[1].running_var[0] = math.inf  # buffers count too
    assert non_finite_weights({"g": net}) == ["g"]


def test_lower_learning_rates_halves_the_rates_given():
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    assert lower_learning_rates([opt], [4e-4]) == [2e-4]
    assert opt.param_groups[0]["lr"] == 2e-4


# -- in the trainer -----------------------------------------------------------------------------


def nan_at(trainer: Trainer, monkeypatch, when) -> list[int]:
    """Make ``train_step`` return NaN statistics whenever ``when(step, calls)`` holds."""
    real_step = trainer.train_step
    bad_steps: list[int] = []

    def step(batches):
        stats = real_step(batches)
        if when(trainer.step + 1, len(bad_steps)):
            bad_steps.append(trainer.step + 1)
            return stats * float("nan")
        return stats

    monkeypatch.setattr(trainer, "train_step", step)
    return bad_steps


def finite_floats(ckpt) -> bool:
    return all(torch.isfinite(t).all() for t in ckpt.tensors.values() if t.is_floating_point())


def test_rollback_reloads_the_last_checkpoint_halves_the_rates_and_continues(
    tmp_path, tiny_data, tiny_config, monkeypatch, capsys
):
    run = tmp_path / "run"
    cfg = tiny_config(epochs=3, on_diverge="rollback")  # 4 steps per epoch
    trainer = Trainer(cfg, run, data=tiny_data, display=False)
    bad = nan_at(trainer, monkeypatch, lambda step, calls: step == 7 and calls == 0)
    result = trainer.run()

    assert bad == [7] and result.step == 12
    rows = read_csv_rows(run / "metrics" / "batches.csv")
    assert [r["step"] for r in rows] == list(range(1, 13))  # steps 5-6 redone, logged once
    assert all(math.isfinite(r["d_loss"]) for r in rows)
    assert [r["epoch"] for r in read_csv_rows(run / "metrics" / "epochs.csv")] == [1, 2, 3]
    ckpt = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert finite_floats(ckpt) and ckpt.meta["rollbacks"] == 1
    rates = [ckpt.meta["optimizers"][k]["param_groups"][0]["lr"] for k in ("opt_g", "opt_d")]
    assert rates == [pytest.approx(1e-4), pytest.approx(1e-4)]  # 2e-4 halved, and kept
    events = EventLog(run / "events.log").lines()
    assert len(events) == 1
    assert "training diverged at step 7: non-finite d_loss" in events[0]
    assert "rolled back to step 4" in events[0] and "lr_g 0.0001, lr_d 0.0001" in events[0]
    assert "rollback 1 of 3" in capsys.readouterr().err  # and on the progress display


def test_rollback_gives_up_after_three_rollbacks(tmp_path, tiny_data, tiny_config, monkeypatch):
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(on_diverge="rollback"), run, data=tiny_data, display=False)
    bad = nan_at(trainer, monkeypatch, lambda step, calls: step >= 6)
    with pytest.raises(TrainingDiverged, match="giving up after 3 rollbacks") as stopped:
        trainer.run()
    assert bad == [6, 6, 6, 6]  # the first try and three rollbacks to step 4
    assert "\n" not in str(stopped.value) and "last good one" in str(stopped.value)
    ckpt = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert ckpt.step == 4 and finite_floats(ckpt)
    assert len(EventLog(run / "events.log").lines()) == 4  # 3 rollbacks and the stop


def test_rollback_without_a_checkpoint_stops_with_a_clear_message(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(on_diverge="rollback"), run, data=tiny_data, display=False)
    nan_at(trainer, monkeypatch, lambda step, calls: step == 2)
    with pytest.raises(TrainingDiverged, match="no checkpoint to roll back to yet"):
        trainer.run()
    assert not (run / "checkpoints" / "last.safetensors").exists()


def test_stop_writes_no_checkpoint_of_broken_weights(tmp_path, tiny_data, tiny_config):
    """Finite losses, then an update that leaves NaN weights right before a checkpoint: the
    run stops instead of saving them."""
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(), run, data=tiny_data, display=False)
    real_step = trainer.train_step

    def step_then_break_g(batches):
        stats = real_step(batches)
        if trainer.step + 1 == 8:  # the last step of epoch 2, before its checkpoint
            with torch.no_grad():
                next(trainer.recipe.generator.parameters()).fill_(math.nan)
        return stats

    trainer.train_step = step_then_break_g
    with pytest.raises(TrainingDiverged, match="step 8: non-finite weights in generator"):
        trainer.run()
    ckpt = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert ckpt.step == 4 and finite_floats(ckpt)


def test_d_winning_is_shown_and_logged_once_per_streak(
    tmp_path, tiny_data, tiny_config, monkeypatch, capsys
):
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(epochs=2, d_wins_intervals=3), run, data=tiny_data, display=False)
    names = trainer.log.stat_names
    real_step = trainer.train_step

    def d_wins(batches):
        stats = real_step(batches).clone()
        stats[names.index("d_real")], stats[names.index("d_fake")] = 0.999, 0.001
        return stats

    monkeypatch.setattr(trainer, "train_step", d_wins)
    trainer.run()  # 8 steps, one log interval each: one streak of 8, one warning at step 3
    events = EventLog(run / "events.log").lines()
    assert len(events) == 1 and " step 3: warning: D wins completely" in events[0]
    assert capsys.readouterr().err.count("D wins completely") == 1


# -- the flag -----------------------------------------------------------------------------------


def test_on_diverge_flag_reaches_the_config_and_bad_values_are_one_line(
    tmp_path, monkeypatch, capsys
):
    seen = []

    def fake_trainer(cfg, run_dir, **kwargs):
        seen.append(cfg.train.on_diverge)
        raise GanforgeError("stop here")

    monkeypatch.setattr(cli_train, "Trainer", fake_trainer)
    for value, code in (("rollback", 2), ("retry", 2)):
        argv = ["ganforge", "train", "gan", "--on-diverge", value, "--out", str(tmp_path / "r")]
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code == code
    err = capsys.readouterr().err.strip().splitlines()
    assert seen == ["rollback"]
    assert err[0].endswith("stop here")
    assert "train.on_diverge must be 'stop' or 'rollback', got 'retry'" in err[1]
