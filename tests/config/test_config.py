"""Typed config: dataclass defaults, checked overrides, validation, YAML and --set parsing."""

import dataclasses
import os
from pathlib import Path

import pytest

from ganforge.config import (
    ModelConfig,
    RunConfig,
    TrainConfig,
    apply_overrides,
    load_yaml,
    parse_assignments,
)
from ganforge.errors import ConfigError
from ganforge.models.recipes.gan import GANConfig
from ganforge.models.recipes.wgan_gp import WGANGPConfig
from ganforge.setup import validate_config


def test_train_config_defaults() -> None:
    t = TrainConfig()
    assert (t.epochs, t.steps, t.batch_size, t.seed) == (5, None, 64, 0)
    assert (t.sample_every, t.checkpoint_every, t.log_every) == (1, 1, 20)
    assert t.tensorboard is False
    assert t.device == "auto"


def test_model_config_defaults() -> None:
    m = ModelConfig()
    assert (m.latent_dim, m.latent_distribution, m.data_range, m.resolution) == (
        100,
        "normal",
        "-1,1",
        28,
    )
    assert (m.lr_g, m.lr_d, m.beta1, m.beta2, m.d_steps) == (2e-4, 2e-4, 0.5, 0.999, 1)


def test_run_config_to_dict_is_nested_plain_data() -> None:
    cfg = RunConfig(recipe="gan", model=GANConfig(), train=TrainConfig(epochs=3))
    d = cfg.to_dict()
    assert d["recipe"] == "gan"
    assert d["dataset"] == "mnist"
    assert d["train"]["epochs"] == 3
    assert d["model"]["g_hidden"] == (256, 512, 1024)
    assert set(d) == {"recipe", "dataset", "model", "train", "data"}
    assert d["data"] is None  # the user's own images (train --data): none here
    own = RunConfig(recipe="gan", dataset="custom", data="/x", test_data="/y").to_dict()
    assert (own["data"], own["test_data"], own["holdout"]) == ("/x", "/y", 0.1)


# -- apply_overrides: keys and types -------------------------------------------------------------


def test_apply_overrides_returns_a_changed_copy() -> None:
    base = TrainConfig()
    new = apply_overrides(base, {"epochs": 7, "tensorboard": True}, "train")
    assert (new.epochs, new.tensorboard) == (7, True)
    assert (base.epochs, base.tensorboard) == (5, False)  # the original is untouched


@pytest.mark.parametrize(
    ("obj", "key", "suggestion"),
    [
        (GANConfig(), "dropuot", "dropout"),
        (GANConfig(), "latent_dims", "latent_dim"),
        (TrainConfig(), "epoch", "epochs"),
        (TrainConfig(), "batchsize", "batch_size"),
    ],
)
def test_unknown_key_near_miss_gets_did_you_mean(obj, key: str, suggestion: str) -> None:
    section = "train" if isinstance(obj, TrainConfig) else "model"
    with pytest.raises(ConfigError) as info:
        apply_overrides(obj, {key: 1}, section)
    msg = str(info.value)
    assert f"{section}.{key}" in msg
    assert f"did you mean {suggestion!r}" in msg


def test_unknown_key_far_off_lists_known_keys() -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(TrainConfig(), {"zzzzzz": 1}, "train")
    msg = str(info.value)
    assert "did you mean" not in msg
    assert "known keys" in msg
    assert "batch_size" in msg


@pytest.mark.parametrize(
    ("obj", "key", "value", "section"),
    [
        (TrainConfig(), "batch_size", "64", "train"),  # string for an int
        (TrainConfig(), "epochs", True, "train"),  # bool for an int
        (TrainConfig(), "epochs", 2.0, "train"),  # float for an int
        (TrainConfig(), "steps", "10", "train"),  # int | None
        (TrainConfig(), "tensorboard", 1, "train"),  # int for a bool
        (TrainConfig(), "device", 0, "train"),  # int for a string
        (ModelConfig(), "lr_g", [0.1], "model"),  # list for a float
        (ModelConfig(), "lr_d", "fast", "model"),  # non-numeric string for a float
        (ModelConfig(), "beta1", False, "model"),  # bool for a float
        (GANConfig(), "g_hidden", "256", "model"),  # string for a tuple
        (GANConfig(), "g_hidden", 256, "model"),  # int for a tuple
    ],
)
def test_wrong_type_names_the_key(obj, key: str, value, section: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(obj, {key: value}, section)
    assert f"{section}.{key}" in str(info.value)


def test_wrong_item_type_in_tuple_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"model\.g_hidden\[\]"):
        apply_overrides(GANConfig(), {"g_hidden": [256, "x"]}, "model")


def test_ints_are_accepted_for_floats() -> None:
    m = apply_overrides(WGANGPConfig(), {"lr_g": 1, "gp_weight": 5, "beta1": 0}, "model")
    assert m.lr_g == 1.0
    assert m.gp_weight == 5.0
    assert m.beta1 == 0.0
    assert all(type(v) is float for v in (m.lr_g, m.gp_weight, m.beta1))


def test_list_becomes_tuple_field() -> None:
    m = apply_overrides(GANConfig(), {"g_hidden": [128, 256], "d_hidden": []}, "model")
    assert m.g_hidden == (128, 256)
    assert m.d_hidden == ()
    assert isinstance(m.g_hidden, tuple)


def test_optional_int_accepts_none_and_int() -> None:
    t = apply_overrides(TrainConfig(steps=5), {"steps": None}, "train")
    assert t.steps is None
    assert apply_overrides(TrainConfig(), {"steps": 12}, "train").steps == 12


def test_overrides_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="train must be a mapping"):
        apply_overrides(TrainConfig(), [("epochs", 3)], "train")


# -- validate: impossible values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "changes", "key"),
    [
        (TrainConfig, {"batch_size": 0}, "batch_size"),
        (TrainConfig, {"epochs": -1}, "epochs"),
        (TrainConfig, {"log_every": 0}, "log_every"),
        (TrainConfig, {"steps": 0}, "steps"),
        (TrainConfig, {"lr_decay_from": 1.5}, "lr_decay_from"),
        (TrainConfig, {"lr_decay_from": -0.1}, "lr_decay_from"),
        (TrainConfig, {"lr_decay_from": float("nan")}, "lr_decay_from"),
        (TrainConfig, {"device": "tpu"}, "device"),
        (ModelConfig, {"lr_g": -1e-4}, "lr_g"),
        (ModelConfig, {"lr_d": 0.0}, "lr_d"),
        (ModelConfig, {"d_steps": 0}, "d_steps"),
        (ModelConfig, {"latent_dim": 0}, "latent_dim"),
        (ModelConfig, {"resolution": 30}, "resolution"),
        (ModelConfig, {"data_range": "0,255"}, "data_range"),
        (ModelConfig, {"beta1": 1.0}, "beta1"),
        (ModelConfig, {"beta2": -0.1}, "beta2"),
        (ModelConfig, {"latent_distribution": "laplace"}, "latent_distribution"),
    ],
)
def test_validate_rejects_impossible_values(cls, changes: dict, key: str) -> None:
    obj = dataclasses.replace(cls(), **changes)
    with pytest.raises(ConfigError, match=key):
        obj.validate()


@pytest.mark.parametrize("cls", [TrainConfig, ModelConfig])
def test_defaults_validate(cls) -> None:
    cls().validate()  # raises on failure


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:1", "mps"])
def test_train_device_names_accepted(device: str) -> None:
    TrainConfig(device=device).validate()


def test_run_config_rejects_unknown_dataset() -> None:
    with pytest.raises(ConfigError, match="dataset"):
        RunConfig(recipe="gan", dataset="cifar10", model=GANConfig()).validate()


def test_run_config_validates_its_sections() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        RunConfig(recipe="gan", model=GANConfig(), train=TrainConfig(batch_size=0)).validate()
    with pytest.raises(ConfigError, match="beta1"):
        RunConfig(recipe="gan", model=GANConfig(beta1=1.5)).validate()


# -- load_yaml -------------------------------------------------------------------------------


def test_load_yaml_reads_mapping(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("recipe: dcgan\nmodel:\n  latent_dim: 64\ntrain:\n  epochs: 10\n")
    assert load_yaml(p) == {"recipe": "dcgan", "model": {"latent_dim": 64}, "train": {"epochs": 10}}


def test_load_yaml_empty_file_is_empty_mapping(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("# nothing here\n")
    assert load_yaml(p) == {}


def test_load_yaml_invalid_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("recipe: dcgan\ntrain:\n  epochs: 3\n   steps: 4\n")  # line 4 mis-indented
    with pytest.raises(ConfigError) as info:
        load_yaml(p)
    msg = str(info.value)
    assert "not valid YAML" in msg
    assert "at line 4" in msg
    assert str(p) in msg


def test_load_yaml_list_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "list.yaml"
    p.write_text("- recipe: dcgan\n- epochs: 3\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_yaml(p)


def test_load_yaml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_yaml(tmp_path / "nope.yaml")


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_load_yaml_refuses_a_fifo_or_a_folder_without_waiting(tmp_path: Path) -> None:
    """Found by tests/fuzz: a run's config.yaml that is a FIFO made ``train --resume`` wait
    forever for a writer."""
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="cannot be read: not a regular file"):
        load_yaml(fifo)
    with pytest.raises(ConfigError, match="cannot be read: Is a directory"):
        load_yaml(tmp_path)


# -- parse_assignments -------------------------------------------------------------------------


def test_parse_assignments_good_forms() -> None:
    out = parse_assignments(
        [
            "model.latent_dim=64",
            "model.lr_g=0.001",
            "model.g_hidden=[128, 256]",
            "model.gp_mix=a=b",  # only the first '=' splits
            "train.steps=null",
            "train.tensorboard=true",
            "train.device=cpu",
        ]
    )
    assert out == {
        "model": {"latent_dim": 64, "lr_g": 0.001, "g_hidden": [128, 256], "gp_mix": "a=b"},
        "train": {"steps": None, "tensorboard": True, "device": "cpu"},
    }


def test_parse_assignments_later_wins_and_empty() -> None:
    assert parse_assignments(["train.epochs=1", "train.epochs=2"]) == {"train": {"epochs": 2}}
    assert parse_assignments([]) == {}


@pytest.mark.parametrize(
    "item",
    [
        "latent_dim=64",  # no section
        "model.latent_dim",  # no '='
        "model.latent_dim 64",
        "data.root=x",  # unknown section
        "model.=3",  # empty key
        "=3",
        "",
    ],
)
def test_parse_assignments_bad_forms(item: str) -> None:
    with pytest.raises(ConfigError, match=r"SECTION\.KEY=VALUE"):
        parse_assignments([item])


def test_parse_assignments_scientific_notation_is_a_number() -> None:
    out = parse_assignments(["model.lr_g=1e-4"])
    m = apply_overrides(ModelConfig(), out["model"], "model")
    assert m.lr_g == pytest.approx(1e-4)


def test_yaml_scientific_notation_is_a_number(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("model:\n  lr_g: 2e-4\n")
    m = apply_overrides(ModelConfig(), load_yaml(p)["model"], "model")
    assert m.lr_g == pytest.approx(2e-4)


# -- the grid schedule and the final figure's layout ---------------------------------------------


def test_sample_at_reads_the_yaml_list_form_and_set(tmp_path: Path) -> None:
    from ganforge.setup.build import make_config

    p = tmp_path / "c.yaml"
    p.write_text("recipe: gan\ntrain:\n  sample_at: [5, 25, 50]\n  sample_every: 0\n")
    cfg = make_config(config_file=p)
    assert (cfg.train.sample_at, cfg.train.sample_every) == ((5, 25, 50), 0)
    cfg = make_config("gan", overrides=parse_assignments(["train.sample_at=[2, 4]"]))
    assert cfg.train.sample_at == (2, 4)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sample_at": (5, 0)}, "train.sample_at must be a list of positive epochs, got [5, 0]"),
        ({"sample_every": -1}, "train.sample_every must be >= 0"),
        ({"grid_layout": "3x3"}, "train.grid_layout must be one of 8x8, 2x5, 5x5, 10x10"),
    ],
)
def test_bad_grid_settings_are_one_line_errors(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        dataclasses.replace(TrainConfig(), **changes).validate()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_sample_at_items_must_be_integers() -> None:
    with pytest.raises(ConfigError, match=r"train\.sample_at\[\] must be an integer"):
        apply_overrides(TrainConfig(), {"sample_at": ["5x"]}, "train")
    with pytest.raises(ConfigError, match=r"train\.sample_at must be a list, got 5"):
        apply_overrides(TrainConfig(), {"sample_at": 5}, "train")


@pytest.mark.parametrize("layout", ["per-class", "classes-5x6"])
def test_class_layouts_of_an_unconditional_recipe_are_refused(layout: str) -> None:
    cfg = RunConfig(recipe="gan", model=GANConfig(), train=TrainConfig(grid_layout=layout))
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    assert str(err.value) == (
        f"grid layout {layout!r} needs a conditional recipe (acgan, acgan-classic, acgan-mult); "
        "gan is unconditional"
    )


@pytest.mark.parametrize(
    ("every", "at", "epochs"),
    [(1, (), [1, 2, 3, 4, 5, 6]), (4, (1, 5), [1, 4, 5]), (0, (2, 6), [2, 6]), (0, (), [])],
)
def test_grid_at_is_every_sample_every_epochs_and_the_sample_at_ones(
    every: int, at: tuple, epochs: list
) -> None:
    t = TrainConfig(sample_every=every, sample_at=at)
    assert [e for e in range(1, 7) if t.grid_at(e)] == epochs


@pytest.mark.parametrize(
    "text, message",
    [
        ("recipe: gan\nmodel: &m {latent_dim: 8}\ntrain: *m\n", "aliases are not allowed"),
        ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nests too deeply"),
        ("# padding\n" * 200_000, "is over 1024 KiB"),
    ],
    ids=["alias", "deep", "huge"],
)
def test_a_hostile_yaml_file_is_one_line(tmp_path, text, message) -> None:
    from ganforge.config import load_yaml

    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert message in str(err.value) and len(str(err.value).splitlines()) == 1
