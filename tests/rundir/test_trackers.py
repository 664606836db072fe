"""The tracker plumbing: ``train.log_to`` names, the one-line errors for an unknown tracker or
a missing extra (before any work), the calls a run makes, W&B's offline default."""

import importlib.util
from pathlib import Path

import pytest

from ganforge.config.trackers import canonical_trackers
from ganforge.engine.trainer import Trainer
from ganforge.errors import ConfigError
from ganforge.rundir import trackers
from ganforge.rundir.trackers import Tracker, check_installed, flatten, metric_name
from ganforge.setup.build import make_config


def test_log_to_takes_a_list_or_names_with_commas_and_tensorboard_true_joins_it() -> None:
    assert canonical_trackers(" MLflow, wandb,,", False) == ("mlflow", "wandb")
    assert canonical_trackers(["wandb", "wandb"], True) == ("wandb", "tensorboard")
    cfg = make_config("gan", overrides={"train": {"log_to": "mlflow", "tensorboard": True}})
    assert cfg.train.log_to == ("mlflow", "tensorboard")
    assert make_config("gan").train.log_to == ()


def test_an_unknown_tracker_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown tracker 'neptune'; known: tensorboard, mlflow"):
        make_config("gan", overrides={"train": {"log_to": "mlflow,neptune"}})


def missing(name: str):
    find = importlib.util.find_spec
    return lambda module, *a: None if module == name else find(module, *a)


def test_a_missing_extra_is_one_line_naming_the_pip_extra(monkeypatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", missing("mlflow"))
    with pytest.raises(ConfigError) as err:
        check_installed(("tensorboard", "mlflow"))
    assert str(err.value) == (
        "--log-to mlflow needs mlflow, which is not installed: pip install 'ganforge[mlflow]'"
    )
    assert "\n" not in str(err.value)


def test_a_run_with_a_missing_extra_is_refused_before_it_writes_anything(
    tmp_path, tiny_config, tiny_data, monkeypatch
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", missing("wandb"))
    run = tmp_path / "run"
    with pytest.raises(ConfigError, match=r"pip install 'ganforge\[wandb\]'"):
        Trainer(tiny_config(log_to="wandb"), run, data=tiny_data, display=False)
    assert not run.exists()


class Recorder(Tracker):
    def __init__(self, layout, stat_names) -> None:
        self.calls: list[str] = []
        RECORDERS.append(self)

    def on_start(self, config, resumed) -> None:
        self.calls.append(f"start {config['recipe']} {resumed}")

    def on_log(self, rows) -> None:
        self.calls.append("log " + ",".join(str(int(r["step"])) for r in rows))

    def on_epoch(self, row) -> None:
        self.calls.append(f"epoch {int(row['epoch'])}")

    def on_grid(self, step, epoch, path: Path) -> None:
        self.calls.append(f"grid {step} {path.name}")

    def on_eval(self, step, row) -> None:
        self.calls.append(f"eval {step} {row['fid']:.0f}")

    def on_end(self, summary) -> None:
        self.calls.append(f"end {summary['steps']}")

    def close(self) -> None:
        self.calls.append("close")


RECORDERS: list[Recorder] = []


def test_a_run_calls_its_trackers_in_order(tmp_path, tiny_config, tiny_data, monkeypatch) -> None:
    import ganforge.rundir.track_mlflow as track_mlflow
    from ganforge.engine import eval_hook

    RECORDERS.clear()
    monkeypatch.setattr(track_mlflow, "MlflowTracker", Recorder)
    monkeypatch.setattr(trackers, "check_installed", lambda names: None)
    # Evaluation without the evaluator (as tests/engine/test_milestones.py fakes it)
    monkeypatch.setattr(eval_hook, "evaluator_for", lambda *args: None)
    monkeypatch.setattr(eval_hook, "real_reference", lambda *args: None)
    monkeypatch.setattr(eval_hook, "evaluate_images", lambda *args: {"fid": 42.0})
    cfg = tiny_config(epochs=1, log_every=2, log_to="mlflow", eval_every=1, eval_samples=100)
    Trainer(cfg, tmp_path / "run", data=tiny_data, display=False).run()
    (recorder,) = RECORDERS
    assert recorder.calls == [
        "start gan False",
        "grid 0 epoch_0000.png",
        "log 1,2",
        "log 3,4",
        "epoch 1",
        "grid 4 epoch_0001.png",
        "eval 4 42",
        "end 4",
        "close",
    ]


def test_names_and_params_as_trackers_take_them() -> None:
    assert metric_name("D(G(z))") == "D_G_z" and metric_name("epoch_mean/d_loss") == (
        "epoch_mean/d_loss"
    )
    nested = {"recipe": "gan", "train": {"epochs": 2, "sample_at": [1, 5]}}
    assert flatten(nested) == {"recipe": "gan", "train.epochs": 2, "train.sample_at": "1,5"}


def test_wandb_runs_offline_unless_logged_in_or_told(tmp_path, monkeypatch) -> None:
    from ganforge.rundir.track_wandb import wandb_mode

    for var in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    netrc = tmp_path / "netrc"
    monkeypatch.setenv("NETRC", str(netrc))
    assert wandb_mode() == "offline"  # no netrc at all
    netrc.write_text("machine example.org login a password b\n")
    assert wandb_mode() == "offline"
    netrc.write_text("machine api.wandb.ai login user password k" + "0" * 39 + "\n")
    netrc.chmod(0o600)
    assert wandb_mode() is None  # `wandb login` done: W&B's own choice (online)
    netrc.unlink()
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_mode() is None
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "k")
    assert wandb_mode() is None
