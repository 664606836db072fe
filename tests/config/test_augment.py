"""The augmentation fields every recipe's model config has (``model.augment`` …): defaults,
the forms a policy may be written in, one-line errors, and runs saved before them."""

import pytest

from ganforge.config import ModelConfig
from ganforge.config.augment import DEFAULT_POLICIES, augment_policy
from ganforge.errors import ConfigError
from ganforge.models import RECIPES
from ganforge.setup.build import config_from_dict, make_config


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_recipe_has_augmentation_off_by_default(recipe):
    cfg = make_config(recipe).model
    assert cfg.augment == "none" and augment_policy(cfg) == ()
    assert cfg.ada_target == 0.6 and cfg.ada_interval == 4 and cfg.ada_speed == 100_000


def test_a_policy_from_yaml_a_flag_or_the_mode():
    ada = make_config("dcgan", overrides={"model": {"augment": "ada"}}).model
    assert augment_policy(ada) == DEFAULT_POLICIES["ada"]
    listed = {"augment": "diffaugment", "augment_ops": ["cutout", "translation"]}
    assert augment_policy(make_config("gan", overrides={"model": listed}).model) == (
        "translation",
        "cutout",
    )
    flag = make_config("gan", overrides={"model": {"augment_ops": " rotation, scale "}}).model
    assert flag.augment_ops == ("rotation", "scale")


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"augment": "flip"}, "model.augment must be one of 'none', 'diffaugment', 'ada'"),
        ({"augment_ops": "translation,flip"}, "model.augment_ops: unknown operation 'flip'"),
        ({"augment_ops": [1]}, "model.augment_ops[] must be a string, got 1"),
        ({"augment_cutout": -0.1}, "model.augment_cutout must be in [0, 1], got -0.1"),
        ({"augment_translation": 0.6}, "model.augment_translation must be in [0, 0.5]"),
        ({"augment_contrast": 1.0}, "model.augment_contrast must be in [0, 0.99]"),
        ({"augment_rotation": 200}, "model.augment_rotation must be in [0, 180]"),
        ({"augment_scale": float("nan")}, "model.augment_scale must be a finite number"),
        ({"ada_target": 1.0}, "model.ada_target must be in (0, 1), got 1.0"),
        ({"ada_target": 0}, "model.ada_target must be in (0, 1), got 0"),
        ({"ada_speed": 0}, "model.ada_speed must be positive"),
        ({"ada_interval": -4}, "model.ada_interval must be positive"),
        ({"ada_interval": 2.5}, "model.ada_interval must be an integer"),
    ],
)
def test_bad_augmentation_settings_are_one_line_errors(model, message):
    with pytest.raises(ConfigError) as err:
        make_config("wgan-gp", overrides={"model": model})
    assert message in str(err.value) and len(str(err.value).splitlines()) == 1


def test_a_run_saved_before_augmentation_existed_reads_as_none():
    saved = make_config("acgan").to_dict()
    for key in [k for k in saved["model"] if k.startswith(("augment", "ada_"))]:
        del saved["model"][key]
    old = config_from_dict(saved).model
    assert old.augment == "none" and old.ada_interval == 4 and old.augment_ops == ()
    assert set(ModelConfig.saved_before) == {
        k for k in make_config("acgan").to_dict()["model"] if k.startswith(("augment", "ada_"))
    }
