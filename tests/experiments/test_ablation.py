"""The ablation ladder derived from recipe defaults, its run plan and its refusals (no training)."""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest

from ganforge.config import TrainConfig
from ganforge.data import DataLimit, DataSource
from ganforge.errors import ConfigError
from ganforge.experiments.ablation import TRICKS_OFF, ladder, plan
from ganforge.experiments.ablation_results import ablate_command
from ganforge.models import RECIPES
from ganforge.models.recipes.dcgan import ImprovedDCGAN, ImprovedDCGANConfig

NAMES = ["[-1,1] + tanh", "+ dropout, extra D steps", "+ label smoothing", "+ input noise"]


@dataclass
class ClassicConfig(ImprovedDCGANConfig):
    """Other defaults under the same field names, like a preset of the same recipe."""

    dropout: float = 0.5
    d_steps: int = 1
    real_label: float = 0.8
    fake_label: float = 0.1
    input_noise: float = 0.2
    input_noise_anneal: bool = False


class Classic(ImprovedDCGAN):
    name = "test-classic"
    config_cls = ClassicConfig


def test_improved_dcgan_rungs_come_from_its_defaults() -> None:
    d = ImprovedDCGANConfig()
    rungs = ladder("improved-dcgan")
    assert [r.name for r in rungs] == NAMES
    assert [r.folder for r in rungs] == [
        "1-baseline",
        "2-dropout-dsteps",
        "3-label-smoothing",
        "4-input-noise",
    ]
    assert rungs[0].model == {"data_range": "-1,1", **TRICKS_OFF}
    # Rung 1's diff is against the recipe's defaults: every trick it turns off.
    assert rungs[0].diff["dropout"] == (d.dropout, 0.0)
    assert rungs[1].diff == {"dropout": (0.0, d.dropout), "d_steps": (1, d.d_steps)}
    assert rungs[2].diff == {"real_label": (1.0, d.real_label)}  # fake_label is 0 already
    assert rungs[3].diff == {
        "input_noise": (0.0, d.input_noise),
        "input_noise_anneal": (False, d.input_noise_anneal),
    }
    # The last rung is the recipe as shipped.
    assert rungs[-1].model == {k: getattr(d, k) for k in rungs[-1].model}


def test_a_preset_with_the_same_fields_just_works(monkeypatch) -> None:
    monkeypatch.setitem(RECIPES, Classic.name, Classic)
    rungs = ladder("test-classic")
    assert rungs[1].diff == {"dropout": (0.0, 0.5)}  # its d_steps stays 1
    assert rungs[2].diff == {"real_label": (1.0, 0.8), "fake_label": (0.0, 0.1)}
    assert rungs[3].diff == {"input_noise": (0.0, 0.2)}


def test_recipe_without_the_fields_is_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        ladder("wgan-gp")
    message = str(err.value)
    assert message.startswith("recipe 'wgan-gp' cannot be ablated: its config has no dropout")
    assert "real_label" in message and "\n" not in message


def test_a_rung_that_changes_nothing_is_refused() -> None:
    # dcgan's defaults have no dropout and one D step: rung 2 would repeat rung 1.
    with pytest.raises(ConfigError, match=r"rung 2 '\+ dropout, extra D steps' changes nothing"):
        ladder("dcgan")


def test_plan_builds_configs_with_make_config(tmp_path: Path) -> None:
    runs = plan("improved-dcgan", tmp_path, seeds=2, epochs=3, device="cpu")
    rungs = {rung.folder: rung for rung in ladder("improved-dcgan")}
    assert [(r.arm, r.seed) for r in runs] == [(f, s) for f in rungs for s in (0, 1)]
    assert [r.name for r in runs[::2]] == NAMES
    assert runs[3].dir == tmp_path / "2-dropout-dsteps" / "seed1"
    for run in runs:
        assert run.cfg.train.seed == run.seed
        assert (run.cfg.train.epochs, run.cfg.train.steps, run.cfg.train.device) == (3, None, "cpu")
        # The recipe's tuned schedule applies, as in `ganforge train`.
        assert run.cfg.train.batch_size == ImprovedDCGAN.train_defaults["batch_size"]
        model = dataclasses.asdict(run.cfg.model)
        assert {k: model[k] for k in rungs[run.arm].model} == rungs[run.arm].model
    assert runs[0].cfg.model.d_steps == 1 and runs[-1].cfg.model.d_steps == 2
    quick = plan("improved-dcgan", tmp_path, seeds=1, epochs=3, steps=7)[0].cfg.train
    assert (quick.steps, quick.epochs) == (7, TrainConfig().epochs)  # --steps: epochs unused
    with pytest.raises(ConfigError, match="--seeds must be a positive integer, got 0"):
        plan("improved-dcgan", tmp_path, seeds=0)
    own = DataSource("custom", data=Path("/d/flat"), holdout=0.25)
    for run in plan("improved-dcgan", tmp_path, seeds=1, dataset=own):
        assert (run.cfg.dataset, run.cfg.data, run.cfg.holdout) == ("custom", "/d/flat", 0.25)


def test_every_rung_and_seed_trains_on_the_same_subset(tmp_path: Path) -> None:
    small = DataSource(subset=DataLimit(fraction=0.1, seed=5))
    runs = plan("improved-dcgan", tmp_path, seeds=2, dataset=small, steps=7)
    assert len(runs) == 2 * len(ladder("improved-dcgan"))
    for cfg in (run.cfg for run in runs):
        assert (cfg.data_limit, cfg.data_fraction, cfg.data_limit_seed) == (None, 0.1, 5)
    command = ablate_command("improved-dcgan", tmp_path, 2, 5, 7, small, None, 1000, 0)
    assert "--dataset mnist --data-fraction 0.1 --data-limit-seed 5 --out" in command


@pytest.mark.parametrize("recipe", ["dcgan", "acgan", "gan", "wgan-gp"])
def test_the_augment_ladder_climbs_none_diffaugment_ada_on_any_recipe(recipe, tmp_path) -> None:
    rungs = ladder(recipe, "augment")
    assert [(r.name, r.folder) for r in rungs] == [
        ("no augmentation", "1-none"),
        ("DiffAugment", "2-diffaugment"),
        ("ADA", "3-ada"),
    ]
    assert rungs[0].diff == {}  # the recipes ship without augmentation
    assert rungs[1].diff == {"augment": ("none", "diffaugment")}
    assert rungs[2].diff == {"augment": ("diffaugment", "ada")}
    runs = plan(recipe, tmp_path, seeds=2, steps=5, kind="augment")
    assert [(r.arm, r.seed, r.cfg.model.augment) for r in runs] == [
        (f"{i}-{v}", s, v) for i, v in enumerate(("none", "diffaugment", "ada"), 1) for s in (0, 1)
    ]
    # Everything else is the recipe as shipped: the same model config but for augment.
    shipped = dataclasses.asdict(runs[0].cfg.model)
    for run in runs:
        assert {**dataclasses.asdict(run.cfg.model), "augment": "none"} == shipped


def test_an_unknown_ladder_is_one_line(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"^--ladder must be one of tricks, augment, got 'flip'$"):
        plan("dcgan", tmp_path, seeds=1, kind="flip")


def test_set_overrides_reach_every_run_but_not_the_ladders_own_fields(tmp_path) -> None:
    extra = {"model": {"lr_d": 1e-4}, "train": {"checkpoint_every": "500steps", "seed": 9}}
    runs = plan("improved-dcgan", tmp_path, seeds=2, steps=5, overrides=extra)
    for run in runs:
        assert run.cfg.model.lr_d == 1e-4 and run.cfg.train.checkpoint_every == "500steps"
        assert run.cfg.train.seed == run.seed  # the study's seeds win
    with pytest.raises(ConfigError, match=r"^--set model\.dropout: the tricks ladder sets it"):
        plan("improved-dcgan", tmp_path, seeds=1, overrides={"model": {"dropout": 0.1}})


def test_a_rung_that_changes_nothing_against_the_defaults_says_as_shipped() -> None:
    from ganforge.experiments.ablation_results import rung_notes

    notes = rung_notes(ladder("dcgan", "augment"))
    assert notes[0] == "1. no augmentation: as shipped (against the recipe's defaults)"
    assert notes[1] == "2. DiffAugment: augment 'none' → 'diffaugment'"


def test_rungs_picks_some_rungs_by_number_slug_or_folder(tmp_path) -> None:
    from ganforge.experiments.ablation_results import ladder_options

    for only in (["3", "1"], ["none", "ada"], ["1-none", " 3-ada"]):
        runs = plan("acgan", tmp_path, seeds=2, steps=5, kind="augment", only=only)
        assert [(r.arm, r.seed) for r in runs] == [
            ("1-none", 0),
            ("1-none", 1),
            ("3-ada", 0),
            ("3-ada", 1),
        ]  # the ladder's order, whatever the order asked
    # A picked rung keeps its place and its diff in the whole ladder.
    (ada,) = ladder("acgan", "augment", ["ada"])
    assert ada.index == 3 and ada.diff == {"augment": ("diffaugment", "ada")}
    assert ladder_options("augment", ["a.b=1"], ["none", "ada"]) == (
        " --ladder augment --rungs none,ada --set a.b=1"
    )
    with pytest.raises(ConfigError, match=r"^--rungs: the augment ladder has no rung 'flip' "):
        plan("acgan", tmp_path, seeds=1, kind="augment", only=["none", "flip"])
    with pytest.raises(ConfigError, match=r"^--rungs: the tricks ladder has no rung '5' "):
        ladder("improved-dcgan", "tricks", ["5"])
