"""The model card's "Train it again" config: every key that defines the run's data."""

from ganforge.generation.model_card import reproduce
from ganforge.setup.build import make_config


def test_the_cards_config_keeps_the_training_subset() -> None:
    config = make_config("gan", overrides={"data_limit": 1000, "data_limit_seed": 3}).to_dict()
    text = "".join(reproduce(config))
    assert "data_limit: 1000\n" in text and "data_limit_seed: 3\n" in text
    assert "data_limit" not in "".join(reproduce(make_config("gan").to_dict()))
