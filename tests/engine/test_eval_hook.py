"""The mode-collapse warning of evaluation during training (--eval-every)."""

import math

import pytest

from ganforge.engine.eval_hook import EvalHook, collapse_warning
from ganforge.engine.trainer import Trainer
from ganforge.rundir.events import EventLog


@pytest.mark.parametrize(
    ("covered", "warned"), [(1, True), (7, True), (8, False), (10, False), (math.nan, False)]
)
def test_collapse_warning_below_8_of_10_classes(covered, warned):
    warning = collapse_warning({"epoch": 3, "classes_covered": covered}, 10)
    if not warned:
        assert warning is None
    else:
        assert warning.startswith(f"possible mode collapse: samples fall in {covered} of 10")


def test_collapse_warning_is_shown_and_logged_during_training(
    tmp_path, tiny_data, tiny_config, monkeypatch, capsys
):
    """The trainer's side, with made-up scores: no evaluator, no real evaluation."""
    scores = iter([3.0, 10.0])  # epoch 1 collapsed, epoch 2 recovered

    def fake_evaluation(self, recipe, transform, epoch, step, elapsed):
        return {"epoch": epoch, "fid": 80.0, "recall": 0.1, "classes_covered": next(scores)}, False

    monkeypatch.setattr(EvalHook, "__call__", fake_evaluation)
    run = tmp_path / "run"
    cfg = tiny_config(epochs=2, eval_every=1)
    Trainer(cfg, run, data=tiny_data, display=False).run()
    events = EventLog(run / "events.log").lines()
    assert len(events) == 1
    assert "step 4: possible mode collapse: samples fall in 3 of 10 classes (epoch 1)" in events[0]
    assert capsys.readouterr().err.count("possible mode collapse") == 1
