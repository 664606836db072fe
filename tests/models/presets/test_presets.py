"""Every classic preset of shared/recipes.md: its counts against the source's table, a few
real training steps, its metadata, and the classic bugs behind ``classic_quirks``."""

import math

import pytest
import torch
from torch import nn

from ganforge.engine.trainer import Trainer
from ganforge.errors import ConfigError
from ganforge.models import RECIPES
from ganforge.models.objectives import bce, wasserstein
from ganforge.setup.build import build_recipe, make_config

PRESETS = sorted(n for n, c in RECIPES.items() if c.preset_of is not None)

pytestmark = pytest.mark.usefixtures("one_thread")


def preset(name: str, **model) -> object:
    torch.manual_seed(0)
    return build_recipe(make_config(name, overrides={"model": model}), 10)


def batch_norm_channels(net: nn.Module) -> int:
    return sum(
        m.num_features for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
    )


@pytest.mark.parametrize("name", PRESETS)
def test_counts_match_the_source_table(name: str) -> None:
    """The source's table counts in its framework's convention. PyTorch counts batch norm's
    learnable scale and shift (2c); Keras' ``count_params`` adds the moving mean and
    variance (4c). So for a Keras source, ours + 2c per batch-norm layer must equal the
    table; for a PyTorch source, ours must equal it as is."""
    recipe = preset(name)
    g, d = recipe.parameter_counts()
    table_g, table_d = RECIPES[name].published_counts
    extra = 2 if RECIPES[name].counts_batch_norm_as == "4c" else 0
    assert g + extra * batch_norm_channels(recipe.generator) == table_g
    assert d + extra * batch_norm_channels(recipe.discriminator) == table_d
    assert recipe.published_convention_counts() == (table_g, table_d)


def test_counts_of_the_keras_presets_differ_by_batch_norm_only() -> None:
    # improved-dcgan-classic's G: BN over 12,544 + 128 + 64 features → 2 × 12,736 fewer
    g, _ = preset("improved-dcgan-classic").parameter_counts()
    assert g == 2_682_177 - 2 * (12_544 + 128 + 64)


@pytest.mark.parametrize("name", PRESETS)
def test_metadata(name: str) -> None:
    cls = RECIPES[name]
    assert cls.preset_of in RECIPES and RECIPES[cls.preset_of].preset_of is None
    assert cls.family == RECIPES[cls.preset_of].family
    assert cls.source and cls.summary
    assert cls.config_cls().resolution in cls.resolutions
    # the parts the source leaves out are said to be assumed
    assumed = ("gan-dense", "conv-d", "allconv-classic", "dcgan-tf", "acgan-mult")
    assert bool(cls.assumed) is (name in assumed)


@pytest.mark.mnist
@pytest.mark.parametrize("name", PRESETS)
def test_trains_a_few_steps_on_real_data(tmp_path, mnist_small, name: str) -> None:
    """Three steps of the preset's own loop (sampling, D steps, optimizers, head, quirks off)
    on real MNIST, at a small batch: finite statistics, and both networks move."""
    cfg = make_config(name, overrides={"train": {"batch_size": 2}})
    trainer = Trainer(cfg, tmp_path / name, data=mnist_small, display=False)
    try:
        recipe = trainer.recipe
        g0 = [p.detach().clone() for p in recipe.generator.parameters()]
        d0 = [p.detach().clone() for p in recipe.discriminator.parameters()]
        batches = trainer.stream.epoch(0)
        for _ in range(3):
            drawn = [next(batches) for _ in range(cfg.model.batches_per_step)]
            stats = trainer.train_step(drawn * (cfg.model.d_steps // len(drawn)))
            assert all(math.isfinite(v) for v in stats.tolist()), stats
        for before, net in ((g0, recipe.generator), (d0, recipe.discriminator)):
            moved = [not torch.equal(a, p) for a, p in zip(before, net.parameters(), strict=True)]
            assert sum(moved) >= len(moved) // 2, name
        x = recipe.sample_images(recipe.sample_latent(2), recipe.sample_labels(2))
        assert x.shape == (2, 1, cfg.model.resolution, cfg.model.resolution)
    finally:
        trainer.close()


# -- classic quirks: off by default, each one reproduced behind the switch --------------------


def test_quirks_are_off_by_default_and_refused_where_there_are_none() -> None:
    for name in PRESETS:
        assert make_config(name).model.classic_quirks is False
    with pytest.raises(ConfigError, match="reproduces no classic bug"):
        make_config("gan-selu", overrides={"model": {"classic_quirks": True}})


@pytest.mark.parametrize(("quirks", "mix"), [(False, "uniform"), (True, "normal")])
def test_wgan_gp_classic_mixing_weight(monkeypatch, quirks: bool, mix: str) -> None:
    seen = []

    def spy(critic, real, fake, mix="uniform", weights=None):
        seen.append(mix)
        assert weights is not None and weights.shape == (4, 1, 1, 1)
        return torch.zeros((), requires_grad=True)

    monkeypatch.setattr(wasserstein, "gradient_penalty", spy)
    recipe = preset("wgan-gp-classic", classic_quirks=quirks)
    recipe.discriminator_step_loss(torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))
    assert seen == [mix]


@pytest.mark.parametrize("quirks", [False, True])
def test_family_e_d_trains_in_the_g_step_only_with_quirks(quirks: bool) -> None:
    recipe = preset("dcgan-upsample", classic_quirks=quirks)
    assert recipe.freezes_d_in_g_step is not quirks
    opt_g, _ = recipe.make_optimizers()
    d0 = [p.detach().clone() for p in recipe.discriminator.parameters()]
    loss, _ = recipe.generator_step_loss(4)
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    moved = any(
        not torch.equal(a, p) for a, p in zip(d0, recipe.discriminator.parameters(), strict=True)
    )
    assert moved is quirks


@pytest.mark.parametrize(("quirks", "distinct_rows"), [(False, 4), (True, 1)])
def test_family_e_soft_label_draws(monkeypatch, quirks: bool, distinct_rows: int) -> None:
    drawn = []
    original = bce.noisy_soft_targets

    def spy(n, real, per_sample=True, generator=None):
        targets = original(n, real, per_sample, generator)
        drawn.append(targets)
        return targets

    monkeypatch.setattr(bce, "noisy_soft_targets", spy)
    recipe = preset("dcgan-upsample", classic_quirks=quirks)
    recipe.discriminator_step_loss(torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))
    assert len(drawn) == 2  # real and fake targets
    for targets in drawn:
        assert len({tuple(row.tolist()) for row in targets}) == distinct_rows


def test_acgan_mult_batches_are_one_class_for_d_and_g(mnist_small) -> None:
    """Class-homogeneous batches: the real batch is one class, the fakes of the D step are
    drawn for it, and the G step that follows too."""
    from ganforge.data.batches import BatchStream, ImageTransform

    cfg = make_config("acgan-mult")
    stream = BatchStream(
        mnist_small.images,
        mnist_small.labels,
        8,
        0,
        ImageTransform("-1,1", 32),
        cfg.train.sampling,
        6,
    )
    recipe = preset("acgan-mult")
    requested = []
    original = recipe.fresh_fakes

    def spy(n, labels=None):
        fake, used = original(n, labels)
        requested.append(used)
        return fake, used

    recipe.fresh_fakes = spy
    real, labels = next(stream.epoch(0))
    assert labels.unique().numel() == 1
    recipe.discriminator_step_loss(real, labels)
    recipe.generator_step_loss(8)
    assert all(torch.equal(r, labels) for r in requested)
