"""A run config's real images (``ganforge.setup.data``): the source it names, the config keys
that name a source, and the training images, a subset of the split with ``data_limit``."""

from pathlib import Path

import pytest
import torch
import yaml
from tests.tiny_runs import random_data

from ganforge.data import DataLimit, DataSource
from ganforge.setup.build import make_config
from ganforge.setup.data import data_source, source_config, training_data


def test_the_subset_keys_are_kept_in_config_yaml_only_when_a_subset_is_asked(tmp_path) -> None:
    plain = make_config("gan")
    assert not {"data_limit", "data_fraction", "data_limit_seed"} & set(plain.to_dict())
    cfg = make_config("gan", overrides={"data_limit": 1000})
    assert (cfg.data_limit, cfg.data_fraction, cfg.data_limit_seed) == (1000, None, 0)
    saved = cfg.to_dict()
    assert [saved[k] for k in ("data_limit", "data_fraction", "data_limit_seed")] == [1000, None, 0]
    (tmp_path / "c.yaml").write_text("recipe: gan\ndata_fraction: 1\ndata_limit_seed: 5\n")
    from_yaml = make_config(None, tmp_path / "c.yaml")  # settable from YAML; 1 is 1.0
    assert (from_yaml.data_fraction, from_yaml.data_limit_seed) == (1.0, 5)
    assert yaml.safe_load(yaml.safe_dump(from_yaml.to_dict()))["data_fraction"] == 1.0


def test_the_source_carries_the_subset_and_source_config_is_its_inverse() -> None:
    cfg = make_config("gan", overrides={"data_limit": 500, "data_limit_seed": 2})
    source = data_source(cfg, Path("/idx"))
    assert source == DataSource("mnist", Path("/idx"), subset=DataLimit(500, None, 2))
    keys = source_config(source)
    assert keys == {"dataset": "mnist", "data_limit": 500, "data_limit_seed": 2}
    assert data_source(make_config("gan", overrides=keys)).subset == source.subset
    own = DataSource("custom", data=Path("/d"), subset=DataLimit(fraction=0.25))
    assert source_config(own) == {
        "data": "/d",
        "holdout": 0.1,
        "data_fraction": 0.25,
        "data_limit_seed": 0,
    }
    assert source_config("mnist") == {"dataset": "mnist"}  # none asked: no keys


def test_training_data_draws_the_subset_of_a_loaded_split_whatever_the_training_seed() -> None:
    split = random_data("f" * 16, n=300)
    runs = [make_config("gan", overrides={"data_limit": 50, "train": {"seed": s}}) for s in (0, 1)]
    (a, records_a), (b, _) = (training_data(cfg, None, data=split) for cfg in runs)
    assert len(a.images) == 50 and torch.equal(a.images, b.images)
    assert torch.bincount(a.labels).tolist() == [5] * 10
    assert records_a["data_split"] is None and records_a["data_subset"]["per_class"] == [5] * 10
    whole, records = training_data(make_config("gan"), None, data=split)
    assert whole is split and records == {"data_split": None, "data_subset": None}


@pytest.mark.mnist
def test_the_evaluator_and_test_split_see_the_whole_splits(mnist_dir) -> None:
    source = data_source(make_config("gan", overrides={"data_limit": 100}), mnist_dir)
    assert len(source.load("train").images) == 10_000  # the evaluator trains on all of it
    assert len(source.load("test").images) == 10_000
