"""``ganforge compare``'s plan: recipes, seeds and budgets, checked before any training."""

from pathlib import Path

import pytest

from ganforge.data import DataLimit, DataSource
from ganforge.errors import ConfigError
from ganforge.experiments.comparison import (
    DEFAULT_BUDGET_MINUTES,
    TIME_BUDGET_EPOCHS,
    budget_train,
    describe_budget,
    plan,
)
from ganforge.experiments.comparison_results import compare_options
from ganforge.models.recipes import DEFAULT_RECIPES
from ganforge.models.recipes.dcgan import ImprovedDCGAN


def test_default_plan_is_every_default_recipe_with_three_seeds(tmp_path: Path):
    runs = plan([], tmp_path, device="cpu")
    assert [(r.arm, r.seed) for r in runs] == [(n, s) for n in DEFAULT_RECIPES for s in range(3)]
    assert runs[4].dir == tmp_path / "dcgan" / "seed1"
    for run in runs:
        train = run.cfg.train
        assert (train.seed, train.device) == (run.seed, "cpu")
        assert train.time_limit == 60 * DEFAULT_BUDGET_MINUTES
        assert train.epochs == TIME_BUDGET_EPOCHS and train.eval_every == 0
    improved = next(r for r in runs if r.arm == "improved-dcgan")
    # Each recipe keeps its tuned schedule, as `ganforge train RECIPE` builds it.
    assert improved.cfg.train.batch_size == ImprovedDCGAN.train_defaults["batch_size"]


def test_budgets_and_overrides(tmp_path: Path):
    runs = plan(["gan", "acgan"], tmp_path, seeds=2, budget_epochs=4)
    assert all(r.cfg.train.epochs == 4 and r.cfg.train.time_limit == 0 for r in runs)
    (run,) = plan(["gan"], tmp_path, 1, budget_minutes=0.5, overrides={"model": {"latent_dim": 8}})
    assert run.cfg.train.time_limit == 30.0 and run.cfg.model.latent_dim == 8
    assert describe_budget(budget_train(None, 2.5)) == "2.5 min of training per run"
    assert describe_budget(budget_train(None, None)) == "45 s of training per run"
    assert describe_budget(budget_train(1, None)) == "1 epoch per run"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"recipes": ["dcgn"]}, "unknown recipe 'dcgn'; did you mean 'dcgan'?"),
        ({"recipes": ["gan", "dcgan", "gan"]}, "recipe 'gan' is named twice"),
        ({"seeds": 0}, "--seeds must be a positive integer, got 0"),
        ({"budget_epochs": 2, "budget_minutes": 1.0}, "give --budget-epochs or --budget-minutes"),
        ({"budget_minutes": 0.0}, "--budget-minutes must be a positive number, got 0.0"),
        ({"budget_minutes": float("nan")}, "--budget-minutes must be a positive number"),
        ({"budget_epochs": 0}, "--budget-epochs must be a positive integer, got 0"),
        ({"overrides": {"model": {"g_hidden": [8]}}}, "unknown key model.g_hidden"),
    ],
)
def test_bad_plans_are_refused_in_one_line(tmp_path: Path, kwargs, message):
    kwargs = {"recipes": ["gan", "dcgan"], **kwargs}
    with pytest.raises(ConfigError) as err:
        plan(out=tmp_path, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not any(tmp_path.iterdir())  # nothing written


def test_a_plan_on_your_own_images_names_them_in_every_run(tmp_path: Path):
    held = DataSource("custom", data=Path("my-digits"), holdout=0.2)
    for run in plan(["gan", "acgan"], tmp_path, seeds=1, dataset=held):
        assert (run.cfg.dataset, run.cfg.data) == ("custom", str(Path("my-digits").absolute()))
        assert (run.cfg.test_data, run.cfg.holdout) == (None, 0.2)
    given = DataSource("custom", data=Path("/d/train"), test_data=Path("/d/test"))
    (run,) = plan(["gan"], tmp_path, seeds=1, dataset=given)
    assert (run.cfg.data, run.cfg.test_data, run.cfg.holdout) == ("/d/train", "/d/test", 0.1)


def test_every_run_of_a_comparison_trains_on_the_same_subset(tmp_path: Path):
    """``--data-limit 1000``: every recipe and seed has it in its config, with the subset's
    own seed (0), not the run's training seed, so all of them train on the same images."""
    small = DataSource(subset=DataLimit(1000))
    runs = plan(["gan", "acgan"], tmp_path, seeds=3, dataset=small)
    assert sorted({run.cfg.train.seed for run in runs}) == [0, 1, 2]
    for cfg in (run.cfg for run in runs):
        assert (cfg.data_limit, cfg.data_fraction, cfg.data_limit_seed) == (1000, None, 0)
        assert cfg.to_dict()["data_limit"] == 1000  # in its config.yaml
    assert "--data-limit=1000" in compare_options(3, small, 10_000, 2000)
    own = DataSource("custom", data=Path("/d"), subset=DataLimit(fraction=0.2, seed=9))
    (run,) = plan(["gan"], tmp_path, seeds=1, dataset=own)
    assert (run.cfg.data, run.cfg.data_fraction, run.cfg.data_limit_seed) == ("/d", 0.2, 9)
