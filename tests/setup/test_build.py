"""make_config layering (defaults ← YAML ← overrides), recipe lookup, build_recipe, devices."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch
import yaml

from ganforge.config import TrainConfig
from ganforge.data.batches import ImageTransform
from ganforge.errors import ConfigError
from ganforge.models import RECIPES
from ganforge.setup.build import (
    as_trained,
    build_recipe,
    config_from_dict,
    fields_added_since,
    make_config,
    resolve_device,
)

ALL_RECIPES = sorted(RECIPES)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "run.yaml"
    p.write_text(text)
    return p


# -- defaults per recipe -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        (
            "dcgan",
            {
                "latent_dim": 100,
                "dropout": 0.0,
                "real_label": 1.0,
                "d_steps": 1,
                "beta2": 0.999,
                "lr_g": 8e-4,
                "lr_d": 8e-4,
                "ema_decay": 0.999,
                "r1_weight": 1.0,
            },
        ),
        (
            "improved-dcgan",
            {
                "dropout": 0.1,
                "real_label": 0.9,
                "fake_label": 0.0,
                "d_steps": 2,
                "input_noise": 0.05,
                "input_noise_anneal": True,
                "g_activation": "lrelu",
                "beta1": 0.5,
                "ema_decay": 0.0,
                "r1_weight": 0.0,
            },
        ),
        (
            "wgan-gp",
            {
                "beta2": 0.9,
                "d_steps": 3,
                "d_steps_same_batch": True,
                "gp_weight": 10.0,
                "lr_g": 4e-4,
                "lr_d": 4e-4,
            },
        ),
        (
            "gan",
            {
                "latent_dim": 64,
                "g_hidden": (256, 512, 1024),
                "d_hidden": (512, 256),
                "dropout": 0.3,
                "ema_decay": 0.999,
                "beta1": 0.0,
                "lr_g": 4e-4,
                "lr_d": 8e-4,
                "d_steps": 2,
                "d_steps_same_batch": True,
            },
        ),
        (
            "acgan",
            {
                "embedding_dim": 32,
                "dropout": 0.0,
                "class_weight": 5.0,
                "fake_class_loss": False,
                "ema_decay": 0.999,
                "d_steps": 1,
                "class_batch_norm": True,
            },
        ),
        (
            "allconv",
            {
                "latent_dim": 64,
                "g_channels": (64, 128, 128, 64),
                "g_first_kernel": 8,
                "ema_decay": 0.999,
                "minibatch_std": True,
                "beta1": 0.0,
                "lr_g": 4e-4,
                "lr_d": 2e-4,
            },
        ),
        # a classic preset: Keras-default Adam for G, Adam 2e-4 β1 0.5 for D, one-sided 0.9
        ("conv-d", {"latent_dim": 64, "lr_g": 1e-3, "beta1_g": 0.9, "lr_d": 2e-4, "beta1": 0.5}),
    ],
)
def test_recipe_defaults(recipe: str, expected: dict) -> None:
    cfg = make_config(recipe)
    assert cfg.recipe == recipe
    assert type(cfg.model) is RECIPES[recipe].config_cls
    assert {k: getattr(cfg.model, k) for k in expected} == expected
    assert cfg.dataset == "mnist"
    # a tuned recipe trains 5 epochs by default; a classic preset as long as its source
    assert cfg.train.epochs == RECIPES[recipe].train_defaults.get("epochs", 5)
    assert cfg.train.batch_size == RECIPES[recipe].train_defaults.get("batch_size", 64)


def test_a_dataset_alias_is_recorded_by_its_name(tmp_path: Path) -> None:
    assert make_config("dcgan", overrides={"dataset": "fashion"}).dataset == "fashion-mnist"
    cfg = make_config(None, write(tmp_path, "recipe: gan\ndataset: FMNIST\n"))
    assert cfg.dataset == "fashion-mnist"
    assert config_from_dict(cfg.to_dict()) == cfg
    with pytest.raises(
        ConfigError, match=r"unknown dataset 'cifar'; expected mnist, fashion-mnist, kmnist"
    ):
        make_config("dcgan", overrides={"dataset": "cifar"})


# -- YAML file and overrides --------------------------------------------------------------------


def test_yaml_diff_overrides_model_and_train(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "recipe: improved-dcgan\ndataset: fashion-mnist\n"
        "model:\n  latent_dim: 64\n  dropout: 0.1\ntrain:\n  epochs: 10\n  steps: 7\n",
    )
    cfg = make_config(None, p)
    assert cfg.recipe == "improved-dcgan"
    assert cfg.dataset == "fashion-mnist"
    assert (cfg.model.latent_dim, cfg.model.dropout) == (64, 0.1)
    assert (cfg.train.epochs, cfg.train.steps) == (10, 7)
    # untouched keys keep the recipe's defaults
    assert (cfg.model.real_label, cfg.model.d_steps, cfg.train.batch_size) == (0.9, 2, 8)


def test_recipe_schedule_sits_between_defaults_and_user(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(RECIPES["gan"], "train_defaults", {"batch_size": 48, "log_every": 7})
    assert (make_config("gan").train.batch_size, make_config("gan").train.log_every) == (48, 7)
    assert make_config("dcgan").train.log_every == 20  # other recipes keep theirs
    p = write(tmp_path, "train:\n  batch_size: 16\n")
    assert make_config("gan", p).train.batch_size == 16
    cfg = make_config("gan", p, {"train": {"batch_size": 8}})
    assert (cfg.train.batch_size, cfg.train.log_every) == (8, 7)


def test_recipe_schedules_are_valid_train_keys() -> None:
    for name, cls in RECIPES.items():
        make_config(name)  # an unknown or impossible key would raise ConfigError here
        assert set(cls.train_defaults) <= {f.name for f in dataclasses.fields(TrainConfig)}


def test_recipe_argument_and_matching_file(tmp_path: Path) -> None:
    p = write(tmp_path, "recipe: gan\ntrain:\n  epochs: 2\n")
    assert make_config("gan", p).train.epochs == 2


def test_file_without_recipe_uses_argument(tmp_path: Path) -> None:
    p = write(tmp_path, "model:\n  g_hidden: [32, 64]\n")
    cfg = make_config("gan", p)
    assert cfg.model.g_hidden == (32, 64)


def test_overrides_win_over_yaml(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "recipe: dcgan\ndataset: fashion-mnist\nmodel:\n  latent_dim: 64\n"
        "  lr_g: 0.001\ntrain:\n  epochs: 10\n  seed: 3\n",
    )
    cfg = make_config(
        None,
        p,
        {"dataset": "mnist", "model": {"lr_g": 0.005}, "train": {"epochs": 3}},
    )
    assert cfg.dataset == "mnist"
    assert cfg.model.lr_g == 0.005
    assert cfg.train.epochs == 3
    assert cfg.model.latent_dim == 64  # from the file, not overridden
    assert cfg.train.seed == 3


def test_ints_accepted_for_floats_via_make_config() -> None:
    cfg = make_config("wgan-gp", overrides={"model": {"gp_weight": 5, "lr_d": 1}})
    assert cfg.model.gp_weight == 5.0
    assert isinstance(cfg.model.gp_weight, float)
    assert cfg.model.lr_d == 1.0


def test_unknown_model_key_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"unknown key model\.dropuot; did you mean 'dropout'"):
        make_config("dcgan", overrides={"model": {"dropuot": 0.3}})


def test_unknown_key_in_yaml_did_you_mean(tmp_path: Path) -> None:
    p = write(tmp_path, "recipe: dcgan\ntrain:\n  epoch: 3\n")
    with pytest.raises(ConfigError, match=r"train\.epoch; did you mean 'epochs'"):
        make_config(None, p)


def test_key_of_another_recipe_is_unknown() -> None:
    # gp_weight belongs to wgan-gp; dcgan's config has no such field
    with pytest.raises(ConfigError, match=r"model\.gp_weight"):
        make_config("dcgan", overrides={"model": {"gp_weight": 1.0}})


@pytest.mark.parametrize("where", ["file", "overrides"])
def test_unknown_top_level_key(tmp_path: Path, where: str) -> None:
    if where == "file":
        args = ("dcgan", write(tmp_path, "modle:\n  latent_dim: 3\n"), None)
    else:
        args = ("dcgan", None, {"modle": {"latent_dim": 3}})
    with pytest.raises(ConfigError, match="unknown top-level key 'modle'"):
        make_config(*args)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("train", "batch_size", "64"),
        ("train", "epochs", True),
        ("model", "lr_g", [0.1]),
        ("model", "latent_dim", 64.0),
    ],
)
def test_wrong_type_names_the_key(section: str, key: str, value) -> None:
    with pytest.raises(ConfigError, match=rf"{section}\.{key}"):
        make_config("dcgan", overrides={section: {key: value}})


@pytest.mark.parametrize(
    ("recipe", "section", "values", "key"),
    [
        ("dcgan", "train", {"batch_size": 0}, "batch_size"),
        ("dcgan", "model", {"lr_g": -0.001}, "lr_g"),
        ("dcgan", "model", {"d_steps": 0}, "d_steps"),
        ("dcgan", "model", {"resolution": 30}, "resolution"),
        ("dcgan", "model", {"data_range": "0,255"}, "data_range"),
        ("allconv", "model", {"latent_dim": 32}, "latent_dim"),
        ("allconv", "model", {"g_channels": [64, 128]}, "g_channels"),
        ("allconv", "model", {"g_first_kernel": 3}, "g_first_kernel"),
        ("dcgan", "model", {"beta1": 1.0}, "beta1"),
        ("improved-dcgan", "model", {"real_label": 1.5}, "real_label"),
        ("gan", "model", {"input_noise": -0.1}, "input_noise"),
        ("wgan-gp", "model", {"gp_weight": -1}, "gp_weight"),
        ("wgan-gp", "model", {"gp_mix": "beta"}, "gp_mix"),
        ("acgan", "model", {"class_weight": -1.0}, "class_weight"),
        # the batch spread over a joint [fake; real] batch would not tell them apart
        ("allconv", "model", {"joint_batch": True}, "minibatch_std"),
        ("gan", "model", {"joint_batch": True, "minibatch_std": True}, "minibatch_std"),
    ],
)
def test_impossible_values(recipe: str, section: str, values: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        make_config(recipe, overrides={section: values})


def test_unknown_dataset() -> None:
    with pytest.raises(ConfigError, match="dataset"):
        make_config("dcgan", overrides={"dataset": "cifar10"})


# -- recipe names ------------------------------------------------------------------------------


def test_unknown_recipe_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"unknown recipe 'dcgam'; did you mean 'dcgan'"):
        make_config("dcgam")


def test_unknown_recipe_far_off_lists_known() -> None:
    with pytest.raises(ConfigError) as info:
        make_config("vqvae")
    msg = str(info.value)
    assert "known:" in msg
    assert all(name in msg for name in ALL_RECIPES)


def test_recipe_in_file_disagrees_with_argument(tmp_path: Path) -> None:
    p = write(tmp_path, "recipe: gan\n")
    with pytest.raises(ConfigError) as info:
        make_config("dcgan", p)
    msg = str(info.value)
    assert "'dcgan'" in msg
    assert "'gan'" in msg


def test_no_recipe_anywhere(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no recipe given"):
        make_config(None, write(tmp_path, "train:\n  epochs: 2\n"))
    with pytest.raises(ConfigError, match="no recipe given"):
        make_config()


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, "recipe: dcgan\nmodel:\n  latent_dim: 64\n   dropout: 0.2\n")
    with pytest.raises(ConfigError, match="not valid YAML at line 4"):
        make_config(None, p)


def test_yaml_list_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "- dcgan\n- gan\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        make_config("dcgan", p)


def test_missing_yaml_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        make_config("dcgan", tmp_path / "missing.yaml")


# -- round trip ---------------------------------------------------------------------------------


@pytest.mark.parametrize("recipe", ALL_RECIPES)
def test_config_from_dict_round_trip(recipe: str) -> None:
    cfg = make_config(
        recipe,
        overrides={
            "dataset": "fashion-mnist",
            "model": {"lr_g": 0.001, "latent_distribution": "uniform"},
            "train": {"epochs": 2, "steps": 9, "seed": 4},
        },
    )
    assert config_from_dict(cfg.to_dict()) == cfg
    # Checkpoints store it as JSON and runs as YAML: tuples come back as lists there.
    assert config_from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert config_from_dict(yaml.safe_load(yaml.safe_dump(cfg.to_dict()))) == cfg


def test_a_run_saved_before_a_field_existed_loads_as_it_was_trained() -> None:
    # allconv's first conv was k2 before model.g_first_kernel existed; today's default is k8
    saved = make_config("allconv", overrides={"model": {"g_channels": [8, 16, 8]}}).to_dict()
    del saved["model"]["g_first_kernel"]
    old = config_from_dict(saved)
    assert old.model.g_first_kernel == 2
    assert make_config("allconv").model.g_first_kernel == 8
    k2 = build_recipe(
        make_config(
            "allconv", overrides={"model": {"g_channels": [8, 16, 8], "g_first_kernel": 2}}
        ),
        10,
    )
    build_recipe(old, 10).generator.load_state_dict(k2.generator.state_dict())  # fits
    # a saved value wins over the fallback
    saved["model"]["g_first_kernel"] = 6
    assert config_from_dict(saved).model.g_first_kernel == 6


@pytest.mark.parametrize(
    ("recipe", "field", "then", "now"),
    [("allconv", "minibatch_std", False, True), ("acgan", "class_batch_norm", False, True)],
)
def test_older_runs_keep_their_networks(recipe: str, field: str, then: bool, now: bool) -> None:
    saved = make_config(recipe).to_dict()
    del saved["model"][field]
    old = config_from_dict(saved)
    assert getattr(old.model, field) is then
    assert getattr(make_config(recipe).model, field) is now
    trained_then = build_recipe(make_config(recipe, overrides={"model": {field: then}}), 10)
    recipe_now = build_recipe(old, 10)
    recipe_now.generator.load_state_dict(trained_then.generator.state_dict())  # both fit
    recipe_now.discriminator.load_state_dict(trained_then.discriminator.state_dict())


def test_an_older_dcgan_run_trains_on_without_the_r1_penalty() -> None:
    saved = make_config("dcgan").to_dict()
    del saved["model"]["r1_weight"]
    assert config_from_dict(saved).model.r1_weight == 0.0
    assert make_config("dcgan").model.r1_weight == 1.0
    assert not build_recipe(config_from_dict(saved), 10).double_backward


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_recipe_fills_in_the_fields_added_since_its_runs(recipe: str) -> None:
    """A config saved before any of the recipe's later fields (its own or a base class's,
    such as BCEConfig's r1_weight) reads back as it was trained, and, where those fields'
    defaults did not change, as today's config, so resume and --reuse accept it."""
    added = fields_added_since(RECIPES[recipe].config_cls)
    today = make_config(recipe).to_dict()
    saved = {**today, "model": {k: v for k, v in today["model"].items() if k not in added}}
    old = config_from_dict(saved)
    assert {k: getattr(old.model, k) for k in added} == added
    unchanged = all(today["model"].get(k) == v for k, v in added.items())
    assert (as_trained(saved) == today) is unchanged


R1_RECIPES = sorted(
    n for n, c in RECIPES.items() if "r1_weight" in c.config_cls.__dataclass_fields__
)


@pytest.mark.parametrize("recipe", R1_RECIPES)
def test_runs_saved_before_r1_weight_existed_trained_without_it(recipe: str) -> None:
    today = make_config(recipe).to_dict()
    saved = {**today, "model": {k: v for k, v in today["model"].items() if k != "r1_weight"}}
    assert as_trained(saved)["model"]["r1_weight"] == 0.0
    # today's default is 0 for all but dcgan: such a run resumes and is reused as it is
    assert (as_trained(saved) == today) is (today["model"]["r1_weight"] == 0.0)


def test_config_from_dict_validates() -> None:
    d = make_config("dcgan").to_dict()
    d["train"]["batch_size"] = 0
    with pytest.raises(ConfigError, match="batch_size"):
        config_from_dict(d)


# -- build_recipe --------------------------------------------------------------------------------


def test_build_recipe_uses_config_and_num_classes() -> None:
    cfg = make_config("acgan", overrides={"model": {"latent_dim": 16, "embedding_dim": 4}})
    recipe = build_recipe(cfg, num_classes=5)
    assert isinstance(recipe, RECIPES["acgan"])
    assert recipe.cfg is cfg.model
    assert recipe.num_classes == 5
    assert recipe.generator.embed.num_embeddings == 5
    assert recipe.discriminator.classifier.out_features == 5
    assert recipe.device == torch.device("cpu")


@pytest.mark.parametrize("recipe", sorted(RECIPES))
@pytest.mark.parametrize("resolution", [28, 32, 64])
def test_every_accepted_resolution_is_usable(recipe: str, resolution: int) -> None:
    """A resolution is either refused up front, or G makes it and D takes it."""
    if resolution not in RECIPES[recipe].resolutions:
        with pytest.raises(ConfigError, match="works at resolution"):
            make_config(recipe, overrides={"model": {"resolution": resolution}})
        return
    cfg = make_config(recipe, overrides={"model": {"resolution": resolution}})
    recipe_obj = build_recipe(cfg, 10)
    real = ImageTransform(cfg.model.data_range, resolution)(
        torch.zeros(2, 28, 28, dtype=torch.uint8)
    )
    labels = torch.zeros(2, dtype=torch.long) if recipe_obj.conditional else None
    fake = recipe_obj.generate(recipe_obj.sample_latent(2), labels)
    assert fake.shape == real.shape
    out = recipe_obj.discriminator(real)
    assert (out[0] if isinstance(out, tuple) else out).shape[0] == 2  # a logit or a pair each


@pytest.mark.parametrize("values", [{"dropout": 1.5}, {"g_activation": "foo"}])
def test_recipe_specific_values_checked_up_front(values: dict) -> None:
    with pytest.raises(ConfigError):
        make_config("dcgan", overrides={"model": values})


# -- devices ------------------------------------------------------------------------------------


def test_resolve_device_cpu() -> None:
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only behaviour")
def test_resolve_device_auto_is_cpu_without_cuda() -> None:
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only behaviour")
@pytest.mark.parametrize("name", ["cuda", "cuda:0"])
def test_resolve_device_cuda_without_cuda(name: str) -> None:
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device(name)


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="checks the no-MPS behaviour")
def test_resolve_device_mps_without_mps() -> None:
    with pytest.raises(ConfigError, match="MPS is not available"):
        resolve_device("mps")


def test_resolve_device_unknown_name() -> None:
    with pytest.raises(ConfigError):
        resolve_device("gpu")


def test_a_torch_without_the_resamplings_second_derivative_is_told_in_one_line(monkeypatch):
    from ganforge.setup import build

    monkeypatch.setattr(build, "resampling_twice_differentiable", lambda: False)
    ada = {"model": {"augment": "ada", "g_channels": 8, "d_channels": 8}}
    with pytest.raises(ConfigError, match=r"augment_ops=translation,brightness,contrast,cutout"):
        build.build_recipe(build.make_config("dcgan", overrides=ada), 10, training=True)  # R1
    # To sample from a trained model no penalty runs: nothing to refuse.
    assert build.build_recipe(build.make_config("dcgan", overrides=ada), 10)
    for recipe, model in (  # no penalty, or no resampling: nothing to refuse
        ("gan", {"augment": "ada"}),
        ("dcgan", {**ada["model"], "augment_ops": ["translation", "cutout"]}),
    ):
        config = build.make_config(recipe, overrides={"model": model})
        assert build.build_recipe(config, 10, training=True)
