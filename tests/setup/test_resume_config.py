"""The config of a resumed run (``ganforge train --resume``): its saved config ← the flags,
and the flags laid over ``--set``."""

import pytest

from ganforge.errors import ConfigError
from ganforge.setup.build import make_config, resume_config, with_flags


def saved(**train) -> dict:
    """A saved ``config.yaml`` of a dcgan run, as the trainer writes it."""
    cfg = make_config("dcgan", None, {"train": {"epochs": 3, **train}, "dataset": "fashion-mnist"})
    return cfg.to_dict()


def test_flags_override_their_keys_and_none_is_not_given():
    overrides = {"model": {"dropout": 0.2}, "train": {"epochs": 2, "seed": 1}}
    merged = with_flags(overrides, {"epochs": 5, "steps": None}, {"lr_g": None}, None)
    assert merged == {"model": {"dropout": 0.2}, "train": {"epochs": 5, "seed": 1}}
    assert overrides["train"] == {"epochs": 2, "seed": 1}  # the caller's dict is left alone
    merged = with_flags({}, {}, {"lr_g": 1e-3, "lr_d": 1e-3}, "mnist")
    assert merged == {"train": {}, "model": {"lr_g": 1e-3, "lr_d": 1e-3}, "dataset": "mnist"}


def test_a_resumed_run_keeps_its_config_and_takes_the_flags():
    cfg = resume_config(saved(seed=7), with_flags({}, {"epochs": 6}))
    assert (cfg.recipe, cfg.dataset, cfg.train.epochs, cfg.train.seed) == (
        "dcgan",
        "fashion-mnist",
        6,
        7,
    )
    cfg = resume_config(saved(), with_flags({"model": {"dropout": 0.3}}, {}, {"lr_g": 1e-3}))
    assert cfg.model.dropout == 0.3 and cfg.model.lr_g == 1e-3
    assert cfg.model.lr_d == make_config("dcgan").model.lr_d  # the saved one, untouched
    assert resume_config(saved(), {}, "dcgan").recipe == "dcgan"
    with pytest.raises(ConfigError, match=r"unknown key model\.g_channels"):  # not gan's
        resume_config(saved(), {}, "gan")


def test_new_epochs_replace_a_step_budget_and_steps_stay_otherwise():
    assert resume_config(saved(steps=40), {"train": {"epochs": 9}}).train.steps == 40
    cfg = resume_config(saved(steps=40), {"train": {"epochs": 9}}, new_epochs=True)
    assert (cfg.train.steps, cfg.train.epochs) == (None, 9)


def test_model_fields_added_since_take_the_values_the_run_trained_with():
    old = saved()
    del old["model"]["r1_weight"]  # saved before the field existed
    assert resume_config(old).model.r1_weight == 0.0
    assert resume_config(saved()).model.r1_weight == make_config("dcgan").model.r1_weight


def test_a_resumed_run_keeps_its_training_subset_and_a_new_one_replaces_it():
    cfg = make_config("dcgan", None, {"data_limit": 1000, "data_limit_seed": 4})
    again = resume_config(cfg.to_dict(), with_flags({}, {"epochs": 6}))
    assert (again.data_limit, again.data_fraction, again.data_limit_seed) == (1000, None, 4)
    other = resume_config(cfg.to_dict(), with_flags({}, {}, subset={"data_fraction": 0.5}))
    # Not "both given": the run's checkpoint then refuses the change in one line.
    assert (other.data_limit, other.data_fraction, other.data_limit_seed) == (None, 0.5, 0)
