"""The bounds of a config's numbers: seeds 0..2**32-1, the batch, the evaluation's samples and
a model's sizes, each a one-line ConfigError naming the key; every shipped recipe inside."""

from pathlib import Path

import pytest

from ganforge.config import SEED_MAX
from ganforge.config.bounds import WIDTH_MAX
from ganforge.errors import ConfigError
from ganforge.models import RECIPES
from ganforge.setup.build import make_config


def test_seeds_are_the_32_bit_range() -> None:
    assert SEED_MAX == 2**32 - 1
    assert make_config("gan", overrides={"train": {"seed": SEED_MAX}}).train.seed == SEED_MAX
    assert make_config("gan", overrides={"train": {"seed": 0}}).train.seed == 0


@pytest.mark.parametrize(
    ("recipe", "section", "values", "message"),
    [
        ("gan", "train", {"seed": -1}, "train.seed must be an integer in 0..4294967295, got -1"),
        ("gan", "train", {"seed": 2**32}, "train.seed must be an integer in 0..4294967295, got "),
        ("gan", "train", {"batch_size": 65_537}, "train.batch_size must be at most 65536, got"),
        ("gan", "train", {"eval_samples": 100_001}, "train.eval_samples must be at most 100000"),
        (
            "gan",
            "model",
            {"latent_dim": 10**9},
            "model.latent_dim must be at most 4096, got 1000000000",
        ),
        (
            "gan",
            "model",
            {"g_hidden": [32] * 17},
            "model.g_hidden must list at most 16 layers, got 17",
        ),
        (
            "gan",
            "model",
            {"d_hidden": [4097]},
            "model.d_hidden must be at most 4096 each, got (4097,)",
        ),
        ("gan", "model", {"d_steps": 101}, "model.d_steps must be at most 100, got 101"),
        ("dcgan", "model", {"g_channels": 5000}, "model.g_channels must be at most 4096, got 5000"),
        ("acgan", "model", {"embedding_dim": 4097}, "model.embedding_dim must be at most 4096"),
    ],
)
def test_numbers_out_of_range_are_one_line(recipe, section, values, message) -> None:
    with pytest.raises(ConfigError) as info:
        make_config(recipe, overrides={section: values})
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_a_seed_too_large_for_any_integer_type_in_yaml(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(f"recipe: gan\ntrain:\n  seed: {2**70}\n")
    with pytest.raises(
        ConfigError, match=f"^train.seed must be an integer in 0..4294967295, got {2**70}$"
    ):
        make_config(None, path)


def test_the_largest_sizes_are_accepted() -> None:
    cfg = make_config(
        "gan", overrides={"model": {"latent_dim": WIDTH_MAX, "g_hidden": [WIDTH_MAX] * 16}}
    )
    assert cfg.model.latent_dim == WIDTH_MAX


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_shipped_recipe_and_preset_is_inside_the_bounds(recipe: str) -> None:
    make_config(recipe)  # raises if a default is out of its range


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"data_limit": 0}, "data_limit (--data-limit) must be a positive number of images, got 0"),
        ({"data_limit": 2.5}, "data_limit (--data-limit) must be a positive number of images"),
        ({"data_limit": "ten"}, "data_limit (--data-limit) must be a positive number of images"),
        ({"data_limit": True}, "data_limit (--data-limit) must be a positive number of images"),
        ({"data_fraction": 0.0}, "data_fraction (--data-fraction) must be in (0, 1], got 0.0"),
        ({"data_fraction": 1.5}, "data_fraction (--data-fraction) must be in (0, 1], got 1.5"),
        ({"data_fraction": float("nan")}, "data_fraction (--data-fraction) must be in (0, 1]"),
        ({"data_fraction": "half"}, "data_fraction (--data-fraction) must be in (0, 1]"),
        (
            {"data_limit": 100, "data_fraction": 0.5},
            "--data-limit 100 and --data-fraction 0.5 both given; give one",
        ),
        (
            {"data_limit": 100, "data_limit_seed": -1},
            "data_limit_seed (--data-limit-seed) must be an integer in 0..4294967295, got -1",
        ),
        ({"data_limit_seed": 3}, "data_limit_seed (--data-limit-seed) 3 picks the images of"),
    ],
)
def test_the_training_subsets_fields_are_one_line_errors(keys, message) -> None:
    with pytest.raises(ConfigError) as err:
        make_config("gan", overrides=keys)
    assert message in str(err.value) and "\n" not in str(err.value)
