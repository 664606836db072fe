"""Divergence guard: "D wins" warnings, NaN → stop or roll back, never a NaN checkpoint."""

import json
import math
import sys

import pytest
import torch

import ganforge.api.run as api_run
from ganforge.cli import main
from ganforge.engine.divergence import (
    DWinsDetector,
    FiniteCheck,
    TrainingDiverged,
    learning_rates,
    lower_learning_rates,
    non_finite,
)
from ganforge.engine.lr_decay import apply_lr_decay
from ganforge.engine.trainer import Trainer
from ganforge.errors import GanforgeError
from ganforge.models.objectives import AuxClassifierRecipe, BCERecipe, WassersteinRecipe
from ganforge.models.registry import get_recipe
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.events import EventLog
from ganforge.rundir.metrics_log import read_csv_rows


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


def test_finite_check_covers_weights_buffers_and_optimizer_state():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(4, 2)).sum().backward()
    opt.step()
    check = FiniteCheck({"g": net}, {"opt": opt}, torch.device("cpu"))
    assert check.flags().tolist() == [1.0, 1.0] and check.broken() is None
    # Finite weights, but Adam's second moment overflowed: the next step would be NaN.
    opt.state[net[0].weight]["exp_avg_sq"][0, 0] = math.inf
    assert check.broken() == "optimizer state in opt"
    net[1].running_var[0] = math.nan  # buffers count too
    assert check.broken() == "weights in g; optimizer state in opt"


def test_lower_learning_rates_halves_each_groups_own_rate():
    a, b = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=1.0)
    assert lower_learning_rates([opt], [[4e-4, 1e-3]]) == [[2e-4, 5e-4]]
    assert [g["lr"] for g in opt.param_groups] == [2e-4, 5e-4]


def test_under_a_decay_the_rates_are_the_peaks_and_a_rollback_lowers_them():
    """The rate in use is the peak × the decay's factor: what the summary reports and what a
    rollback halves is the peak, or the next step's decay would undo the halving."""
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=4e-4)
    apply_lr_decay([opt], progress=0.75, decay_from=0.5)
    assert opt.param_groups[0]["lr"] == pytest.approx(2e-4)
    assert learning_rates(opt) == [4e-4]
    assert lower_learning_rates([opt], [learning_rates(opt)]) == [[2e-4]]
    apply_lr_decay([opt], progress=0.75, decay_from=0.5)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4)


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
    on_disk = []  # last.safetensors when the first step after the rollback starts
    real_step = trainer.train_step

    def probe(batches):
        if bad and not on_disk:
            on_disk.append(load_checkpoint(run / "checkpoints" / "last.safetensors"))
        return real_step(batches)

    monkeypatch.setattr(trainer, "train_step", probe)
    result = trainer.run()

    assert bad == [7] and result.step == 12
    assert trainer._steps_run == 15  # images/s counts steps 5-7 twice: they were trained twice
    # Saved at once, so that a kill right after the rollback keeps the lowered rates.
    assert on_disk[0].step == 4 and on_disk[0].meta["rollbacks"] == 1
    assert lr_of(on_disk[0]) == [pytest.approx(1e-4), pytest.approx(2e-4)]
    rows = read_csv_rows(run / "metrics" / "batches.csv")
    assert [r["step"] for r in rows] == list(range(1, 13))  # steps 5-6 redone, logged once
    assert all(math.isfinite(r["d_loss"]) for r in rows)
    assert [r["epoch"] for r in read_csv_rows(run / "metrics" / "epochs.csv")] == [1, 2, 3]
    ckpt = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert finite_floats(ckpt) and ckpt.meta["rollbacks"] == 1
    assert lr_of(ckpt) == [pytest.approx(1e-4), pytest.approx(2e-4)]  # gan's halved, and kept
    summary = json.loads((run / "summary.json").read_text())
    assert summary["rollbacks"] == 1
    assert summary["learning_rates"] == {"opt_g": [1e-4], "opt_d": [2e-4]}
    events = EventLog(run / "events.log").lines()
    assert len(events) == 1
    # Logged under the step that diverged, not the one it went back to.
    assert " step 7: training diverged at step 7: non-finite d_loss" in events[0]
    assert "rolled back to step 4" in events[0] and "lr_g 0.0001, lr_d 0.0002" in events[0]
    assert "rollback 1 of 3" in capsys.readouterr().err  # and on the progress display


def test_rollback_under_a_decay_halves_the_peaks_the_next_steps_decay_from(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    run = tmp_path / "run"
    cfg = tiny_config(epochs=3, on_diverge="rollback", lr_decay_from=0.5)  # 12 steps
    trainer = Trainer(cfg, run, data=tiny_data, display=False)
    nan_at(trainer, monkeypatch, lambda step, calls: step == 10 and calls == 0)
    trainer.run()
    group = load_checkpoint(run / "checkpoints" / "last.safetensors").meta["optimizers"]["opt_g"]
    assert group["param_groups"][0]["peak_lr"] == pytest.approx(1e-4)
    assert group["param_groups"][0]["lr"] == pytest.approx(1e-4 / 6)  # step 12 of 12
    (event,) = EventLog(run / "events.log").lines()
    assert "halved to lr_g 0.0001, lr_d 0.0002 (the peaks of the decay)" in event


def lr_of(ckpt) -> list[float]:
    """The first group's learning rate of G's and D's optimizer in a checkpoint."""
    return [ckpt.meta["optimizers"][k]["param_groups"][0]["lr"] for k in ("opt_g", "opt_d")]


def test_rollback_restores_everything_it_saved(tmp_path, tiny_data, tiny_config, monkeypatch):
    """Broken weights (finite losses) at step 7 roll back to step 4: the result is exactly a
    run stopped at step 4 and resumed with both rates halved by hand, EMA included."""
    ema = {"ema_decay": 0.9}
    rolled = tmp_path / "rolled"
    trainer = Trainer(
        tiny_config(on_diverge="rollback", model=ema), rolled, data=tiny_data, display=False
    )
    real_step, broken = trainer.train_step, []

    def step_then_break_g(batches):
        stats = real_step(batches)
        if trainer.step + 1 == 7 and not broken:
            broken.append(trainer.step + 1)
            with torch.no_grad():
                for p in trainer.recipe.generator.parameters():
                    p.fill_(math.nan)
        return stats

    monkeypatch.setattr(trainer, "train_step", step_then_break_g)
    trainer.run()
    assert broken == [7]

    by_hand = tmp_path / "by_hand"
    Trainer(tiny_config(model=ema), by_hand, data=tiny_data, display=False).run(stop_at=4)
    resumed = Trainer(tiny_config(model=ema), by_hand, data=tiny_data, resume=True, display=False)
    for opt in (resumed.opt_g, resumed.opt_d):
        for group in opt.param_groups:
            group["lr"] *= 0.5
    resumed.run()

    a, b = (load_checkpoint(run / "checkpoints" / "last.safetensors") for run in (rolled, by_hand))
    assert a.step == b.step == 12
    keys = {k for k in a.tensors if not k.startswith("rng.")}
    assert keys == {k for k in b.tensors if not k.startswith("rng.")}
    assert any(k.startswith("generator_ema.") for k in keys)
    for key in sorted(keys):
        assert torch.equal(a.tensors[key], b.tensors[key]), key
    for name in ("batches.csv", "epochs.csv"):
        logs = [read_csv_rows(run / "metrics" / name) for run in (rolled, by_hand)]
        without_time = [[{k: v for k, v in r.items() if k != "time"} for r in x] for x in logs]
        assert without_time[0] == without_time[1], name

    later = Trainer(
        tiny_config(epochs=4, on_diverge="rollback", model=ema),
        rolled,
        data=tiny_data,
        resume=True,
        display=False,
    )
    try:
        assert [g["lr"] for g in later.opt_g.param_groups] == [pytest.approx(1e-4)]
        assert [g["lr"] for g in later.opt_d.param_groups] == [pytest.approx(2e-4)]
        assert later.guard.rollbacks == 1
    finally:
        later.close()


def test_non_finite_optimizer_state_is_never_checkpointed(
    tmp_path, tiny_data, tiny_config, monkeypatch
):
    """Finite losses and weights, but an infinite Adam moment after step 7: the run stops at
    that flush, and save() refuses it too."""
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(), run, data=tiny_data, display=False)
    real_step = trainer.train_step

    def step_then_break_adam(batches):
        stats = real_step(batches)
        if trainer.step + 1 == 7:
            for state in trainer.opt_d.state.values():
                state["exp_avg_sq"].fill_(math.inf)
        return stats

    monkeypatch.setattr(trainer, "train_step", step_then_break_adam)
    with pytest.raises(TrainingDiverged, match="step 7: non-finite optimizer state in opt_d"):
        trainer.run()
    assert load_checkpoint(run / "checkpoints" / "last.safetensors").step == 4
    with pytest.raises(TrainingDiverged, match="non-finite optimizer state in opt_d at step 7"):
        trainer.save(tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


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


def test_d_winning_warning_carries_the_recipes_note(
    tmp_path, tiny_data, tiny_config, monkeypatch, capsys
):
    """A classic preset whose source does the same (dcgan-gelu) says so in the warning."""
    monkeypatch.setattr(get_recipe("gan"), "d_wins_note", "the source does this too")
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(epochs=1, d_wins_intervals=2), run, data=tiny_data, display=False)
    names = trainer.log.stat_names
    real_step = trainer.train_step

    def d_wins(batches):
        stats = real_step(batches).clone()
        stats[names.index("d_real")], stats[names.index("d_fake")] = 0.999, 0.001
        return stats

    monkeypatch.setattr(trainer, "train_step", d_wins)
    trainer.run()
    (event,) = EventLog(run / "events.log").lines()
    assert "D wins completely" in event and event.endswith(". the source does this too")
    assert "the source does this too" in capsys.readouterr().err


def test_dcgan_gelu_says_its_source_wins_the_same_way():
    note = get_recipe("dcgan-gelu").d_wins_note
    assert "Keras" in note and "step 150" in note and "docs/recipes.md" in note
    assert get_recipe("dcgan").d_wins_note == ""  # ganforge's own recipes: only the advice


# -- the flag -----------------------------------------------------------------------------------


def test_on_diverge_flag_reaches_the_config_and_bad_values_are_one_line(
    tmp_path, monkeypatch, capsys
):
    seen = []

    def fake_trainer(cfg, run_dir, **kwargs):
        seen.append(cfg.train.on_diverge)
        raise GanforgeError("stop here")

    monkeypatch.setattr(api_run, "Trainer", fake_trainer)
    monkeypatch.setattr(sys, "argv", ["ganforge", "train", "--help"])
    with pytest.raises(SystemExit):
        main()
    assert "<stop|rollback>" in capsys.readouterr().out  # --help lists the choices
    for value, code in (("rollback", 2), ("retry", 2)):
        argv = ["ganforge", "train", "gan", "--on-diverge", value, "--out", str(tmp_path / "r")]
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code == code
    err = capsys.readouterr().err.strip().splitlines()
    assert seen == ["rollback"]
    assert err[0].endswith("stop here")
    assert "'retry' is not one of 'stop', 'rollback'" in err[1] and len(err) == 2
