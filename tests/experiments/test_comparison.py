"""``ganforge compare``'s plan: recipes, seeds and budgets, checked before any training."""

from pathlib import Path

import pytest

from ganforge.data import DataSource
from ganforge.errors import ConfigError
from ganforge.experiments.comparison import (
    DEFAULT_BUDGET_MINUTES,
    TIME_BUDGET_EPOCHS,
    budget_train,
    describe_budget,
    plan,
)
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
