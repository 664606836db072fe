"""Output intervals in epochs or steps (train.sample_every, checkpoint_every, eval_every) and
the sample grid's size (train.sample_grid)."""

import dataclasses

import pytest
import yaml

from ganforge.config import TrainConfig, apply_overrides, parse_assignments
from ganforge.config.every import Every, epoch_decimals, parse_every, parse_grid
from ganforge.errors import ConfigError
from ganforge.setup.build import make_config, resume_config

FIELDS = ("sample_every", "checkpoint_every", "eval_every")


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize(
    ("given", "stored", "every"),
    [
        (2, 2, Every(2)),  # what every config saved before step intervals holds
        ("2", 2, Every(2)),
        ("3epochs", 3, Every(3)),
        ("500steps", "500steps", Every(500, "step")),
        ("500 Step", "500steps", Every(500, "step")),
        ("1step", "1steps", Every(1, "step")),
    ],
)
def test_an_interval_is_epochs_or_steps_with_a_suffix(name, given, stored, every):
    t = apply_overrides(TrainConfig(), {name: given}, "train")
    t.validate()
    assert getattr(t, name) == stored and type(getattr(t, name)) is type(stored)
    assert t.every(name) == every


def test_zero_steps_is_off_like_zero_epochs():
    t = apply_overrides(TrainConfig(), {"sample_every": "0steps", "eval_every": "0"}, "train")
    assert (t.sample_every, t.eval_every) == (0, 0)
    assert not t.every("sample_every").due(0, 10) and not t.every("eval_every").due(10, 10)


def test_old_configs_keep_their_meaning_and_the_defaults_their_type():
    saved = yaml.safe_load("train:\n  sample_every: 3\n  checkpoint_every: 2\n  eval_every: 0\n")
    cfg = make_config("gan", overrides=saved)
    assert (cfg.train.sample_every, cfg.train.checkpoint_every, cfg.train.eval_every) == (3, 2, 0)
    assert cfg.to_dict()["train"]["sample_every"] == 3  # written back as the same int
    assert [e for e in range(1, 10) if cfg.train.grid_at(e)] == [3, 6, 9]
    assert TrainConfig().sample_grid == "8x8" and TrainConfig().sample_every == 1


def test_step_intervals_and_the_grid_are_kept_in_the_saved_config_and_on_resume():
    flags = parse_assignments(["train.sample_every=500steps", "train.sample_grid=4x4"])
    cfg = make_config("dcgan", overrides=flags)
    saved = yaml.safe_load(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    assert (saved["train"]["sample_every"], saved["train"]["sample_grid"]) == ("500steps", "4x4")
    resumed = resume_config(saved, {"train": {"epochs": 9}})
    assert (resumed.train.sample_every, resumed.train.sample_grid) == ("500steps", "4x4")


@pytest.mark.parametrize(
    ("every", "due"),
    [
        (Every(2), [20, 40]),  # epoch ends of even epochs (10 steps an epoch)
        (Every(7, "step"), [7, 14, 21, 28, 35, 42]),
        (Every(10, "step"), [10, 20, 30, 40]),
        (Every(0, "step"), []),
    ],
)
def test_due_at_epoch_ends_or_on_multiples_of_the_steps(every, due):
    assert [s for s in range(1, 45) if every.due(s, 10)] == due


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sample_every": -1}, "train.sample_every must be >= 0, got -1"),
        ({"sample_every": "5 batches"}, "train.sample_every must be a number of epochs (2) or"),
        ({"eval_every": "2.5"}, "train.eval_every must be a number of epochs (2) or of steps"),
        ({"checkpoint_every": "0steps"}, "train.checkpoint_every must be a positive number"),
        ({"checkpoint_every": 0}, "train.checkpoint_every must be a positive number"),
        ({"sample_grid": "4"}, "train.sample_grid must be ROWSxCOLUMNS such as 4x4 or 8x8"),
        ({"sample_grid": "0x4"}, "train.sample_grid must be ROWSxCOLUMNS"),
        ({"sample_grid": "4x33"}, "each 1 to 32, got '4x33'"),
    ],
)
def test_bad_intervals_and_grids_are_one_line_errors(changes, message):
    with pytest.raises(ConfigError) as err:
        dataclasses.replace(TrainConfig(), **changes).validate()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_parse_every_and_parse_grid():
    assert parse_every("12steps", "x") == Every(12, "step")
    assert parse_grid("4x4") == (4, 4) and parse_grid(" 2 X 5 ") == (2, 5)
    assert apply_overrides(TrainConfig(), {"sample_grid": " 4 X 4"}, "train").sample_grid == "4x4"


@pytest.mark.parametrize(
    ("steps_per_epoch", "step_units", "decimals"),
    [
        (937, False, 2),  # epoch intervals: the names grids always had
        (10, True, 2),
        (100, True, 2),
        (101, True, 3),
        (937, True, 3),
        (1001, True, 4),
    ],
)
def test_names_tell_every_step_of_an_epoch_apart_with_step_intervals(
    steps_per_epoch, step_units, decimals
):
    assert epoch_decimals(steps_per_epoch, step_units) == decimals
    if step_units:  # consecutive steps' fractional epochs differ in their names
        names = {f"{s / steps_per_epoch:.{decimals}f}" for s in range(steps_per_epoch)}
        assert len(names) == steps_per_epoch
