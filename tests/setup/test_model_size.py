"""The size of a configured recipe, measured on the meta device and refused over the limit."""

import pytest

from ganforge.errors import ConfigError
from ganforge.models import RECIPES
from ganforge.setup.build import build_recipe, make_config
from ganforge.setup.model_size import DEFAULT_LIMIT_MIB, check_model_size, weights_mib


def test_every_shipped_recipe_is_far_under_the_default_limit() -> None:
    import torch

    for name in RECIPES:
        cfg = make_config(name)
        check_model_size(cfg, 10)
        with torch.device("meta"):
            recipe = RECIPES[name](cfg.model, 10)
        size = weights_mib(recipe.generator) + weights_mib(recipe.discriminator)
        assert 0.1 < size < DEFAULT_LIMIT_MIB / 8, name


def test_an_8_gib_generator_within_every_field_bound_is_refused_without_allocating_it() -> None:
    # 8 GiB of weights (and as much again to initialise them): were they allocated, the test
    # would take minutes and most of the machine's memory.
    cfg = make_config("dcgan", overrides={"model": {"g_channels": 4096, "latent_dim": 4096}})
    with pytest.raises(ConfigError) as err:
        build_recipe(cfg, 10)
    message = str(err.value)
    assert (
        "would hold 8,321.0 MiB" in message
        and "over the 1024 MiB limit" in message
        and "GANFORGE_MAX_MODEL_MIB" in message
    )
    assert len(message.splitlines()) == 1


def test_the_limit_can_be_raised_or_lowered(monkeypatch) -> None:
    cfg = make_config("dcgan")  # 3.4 MiB of weights
    monkeypatch.setenv("GANFORGE_MAX_MODEL_MIB", "1")
    with pytest.raises(
        ConfigError, match=r"would hold 3\.\d MiB of weights \(G 2\.\d, D 0\.\d\), over the 1 MiB"
    ):
        check_model_size(cfg, 10)
    monkeypatch.setenv("GANFORGE_MAX_MODEL_MIB", "4")
    check_model_size(cfg, 10)


@pytest.mark.parametrize("value", ["abc", "-1", "0", "inf", "nan"])
def test_a_limit_that_is_no_size_is_refused(monkeypatch, value) -> None:
    monkeypatch.setenv("GANFORGE_MAX_MODEL_MIB", value)
    with pytest.raises(ConfigError, match="GANFORGE_MAX_MODEL_MIB must be a positive number"):
        check_model_size(make_config("dcgan"), 10)
