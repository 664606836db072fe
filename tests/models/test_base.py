"""Recipe base class: registry, latents and labels, frozen(), dcgan_init, optimizers."""

import pytest
import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.models import RECIPES, Recipe, get_recipe, register
from ganforge.models.recipes import DEFAULT_RECIPES
from ganforge.models.weights import dcgan_init, frozen
from ganforge.setup.build import build_recipe, make_config

pytestmark = pytest.mark.usefixtures("one_thread")


def recipe_for(name: str, **model) -> Recipe:
    return build_recipe(make_config(name, overrides={"model": model}), 10)


# -- registry -----------------------------------------------------------------------------------


def test_registry_holds_the_tuned_recipes_and_the_classic_presets() -> None:
    tuned = {n for n, c in RECIPES.items() if c.preset_of is None}
    assert set(DEFAULT_RECIPES) == tuned and len(DEFAULT_RECIPES) == len(tuned)
    assert tuned == {"gan", "dcgan", "improved-dcgan", "wgan-gp", "acgan", "allconv"}
    # every configuration of shared/recipes.md; tests/models/presets/ checks each one
    assert set(RECIPES) - tuned == {
        "gan-selu",
        "dcgan-gelu",
        "improved-dcgan-classic",
        "wgan-gp-classic",
        "acgan-classic",
        "gan-mlp",
        "dcgan-64",
        "gan-dense",
        "conv-d",
        "allconv-classic",
        "dcgan-tf",
        "dcgan-upsample",
        "acgan-mult",
    }
    for name, cls in RECIPES.items():
        assert cls.name == name
        assert issubclass(cls, Recipe)


def test_register_refuses_duplicates() -> None:
    class Again(Recipe):
        name = "gan"

    original = RECIPES["gan"]
    with pytest.raises(ValueError, match="'gan' is registered twice"):
        register(Again)
    assert RECIPES["gan"] is original


def test_register_adds_a_new_recipe() -> None:
    class Extra(Recipe):
        name = "test-extra-recipe"

    try:
        assert register(Extra) is Extra
        assert get_recipe("test-extra-recipe") is Extra
    finally:
        RECIPES.pop("test-extra-recipe", None)
    assert "test-extra-recipe" not in RECIPES


def test_get_recipe_did_you_mean() -> None:
    assert get_recipe("wgan-gp") is RECIPES["wgan-gp"]
    with pytest.raises(ConfigError, match="did you mean 'wgan-gp'"):
        get_recipe("wgan_gp")
    with pytest.raises(ConfigError, match="known: acgan, acgan-classic, acgan-mult, allconv"):
        get_recipe("xyz")


# -- frozen ------------------------------------------------------------------------------------


def test_frozen_and_undo() -> None:
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    m[2].bias.requires_grad_(False)  # already frozen before: must stay frozen after undo
    undo = frozen(m)
    assert [p.requires_grad for p in m.parameters()] == [False] * 6
    assert not m(torch.randn(5, 3)).requires_grad
    undo()
    assert [p.requires_grad for p in m.parameters()] == [True, True, True, True, True, False]


def test_frozen_d_still_passes_gradient_to_g() -> None:
    recipe = recipe_for("dcgan")
    undo = frozen(recipe.discriminator)
    try:
        loss, _ = recipe.generator_step_loss(2)
        loss.backward()
    finally:
        undo()
    assert all(p.grad is None for p in recipe.discriminator.parameters())
    assert all(p.grad is not None for p in recipe.generator.parameters())
    assert all(p.requires_grad for p in recipe.discriminator.parameters())


# -- latents and labels -------------------------------------------------------------------------


def test_sample_latent_normal() -> None:
    recipe = recipe_for("dcgan")
    z = recipe.sample_latent(400, generator=torch.Generator().manual_seed(0))
    assert z.shape == (400, 100)
    assert z.dtype == torch.float32
    assert abs(z.mean().item()) < 0.02
    assert z.std().item() == pytest.approx(1.0, abs=0.02)
    assert z.abs().max().item() > 2.0  # a normal, not a uniform


def test_sample_latent_uniform() -> None:
    recipe = recipe_for("gan", latent_distribution="uniform")
    z = recipe.sample_latent(400, generator=torch.Generator().manual_seed(0))
    assert z.shape == (400, 64)
    assert z.min().item() >= -1.0
    assert z.max().item() <= 1.0
    assert z.min().item() < -0.99
    assert z.max().item() > 0.99
    assert z.std().item() == pytest.approx(1 / 3**0.5, abs=0.02)  # U(-1,1) std


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_same_seed_same_latents(distribution: str) -> None:
    recipe = recipe_for("dcgan", latent_distribution=distribution)
    a = recipe.sample_latent(8, generator=torch.Generator().manual_seed(42))
    b = recipe.sample_latent(8, generator=torch.Generator().manual_seed(42))
    c = recipe.sample_latent(8, generator=torch.Generator().manual_seed(43))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_sample_latent_with_explicit_cpu_device() -> None:
    recipe = recipe_for("dcgan")
    a = recipe.sample_latent(4, torch.device("cpu"), torch.Generator().manual_seed(1))
    b = recipe.sample_latent(4, None, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_sample_labels_range_and_seed() -> None:
    recipe = build_recipe(make_config("acgan"), num_classes=7)
    y = recipe.sample_labels(500, generator=torch.Generator().manual_seed(0))
    assert y.dtype == torch.long
    assert set(y.tolist()) == set(range(7))
    y2 = recipe.sample_labels(500, generator=torch.Generator().manual_seed(0))
    assert torch.equal(y, y2)


def test_generate_conditional_needs_labels() -> None:
    recipe = recipe_for("acgan")
    with pytest.raises(ValueError, match="needs labels"):
        recipe.generate(recipe.sample_latent(2))
    assert recipe.generate(recipe.sample_latent(2), torch.tensor([3, 4])).shape == (2, 1, 28, 28)


def test_fresh_fakes_labels_only_when_conditional() -> None:
    fake, labels = recipe_for("dcgan").fresh_fakes(3)
    assert fake.shape == (3, 1, 28, 28)
    assert labels is None
    fake, labels = recipe_for("acgan").fresh_fakes(3)
    assert fake.shape == (3, 1, 28, 28)
    assert labels.shape == (3,)


# -- init, optimizers, modes --------------------------------------------------------------------


def test_dcgan_init_statistics() -> None:
    torch.manual_seed(0)
    m = nn.Sequential(
        nn.Conv2d(64, 128, 4),
        nn.BatchNorm2d(128),
        nn.ConvTranspose2d(128, 64, 4),
        nn.Linear(500, 200),
    )
    m.apply(dcgan_init)
    for layer in (m[0], m[2], m[3]):
        assert layer.weight.std().item() == pytest.approx(0.02, rel=0.05)
        assert abs(layer.weight.mean().item()) < 0.001
        assert torch.count_nonzero(layer.bias) == 0
    assert m[1].weight.mean().item() == pytest.approx(1.0, abs=0.01)
    assert 0.01 < m[1].weight.std().item() < 0.03
    assert torch.count_nonzero(m[1].bias) == 0


def test_dcgan_recipe_conv_weights_have_std_002() -> None:
    torch.manual_seed(0)
    recipe = recipe_for("dcgan")
    convs = [
        m
        for net in (recipe.generator, recipe.discriminator)
        for m in net.modules()
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.weight.numel() > 10_000
    ]
    assert len(convs) == 2  # G's 128→64 ConvT and D's 64→128 conv
    for conv in convs:
        assert conv.weight.std().item() == pytest.approx(0.02, rel=0.05)


def test_make_optimizers_use_config() -> None:
    recipe = recipe_for("wgan-gp", lr_g=1e-3, lr_d=3e-4)
    opt_g, opt_d = recipe.make_optimizers()
    assert isinstance(opt_g, torch.optim.Adam)
    assert opt_g.param_groups[0]["lr"] == 1e-3
    assert opt_d.param_groups[0]["lr"] == 3e-4
    assert opt_g.param_groups[0]["betas"] == (0.5, 0.9)
    assert opt_d.param_groups[0]["betas"] == (0.5, 0.9)
    assert {id(p) for p in opt_g.param_groups[0]["params"]} == {
        id(p) for p in recipe.generator.parameters()
    }
    assert {id(p) for p in opt_d.param_groups[0]["params"]} == {
        id(p) for p in recipe.discriminator.parameters()
    }


def test_train_mode_switches_both_networks() -> None:
    recipe = recipe_for("dcgan")
    recipe.train(False)
    assert not recipe.generator.training
    assert not recipe.discriminator.training
    recipe.train()
    assert recipe.generator.training
    assert recipe.discriminator.training


def test_base_set_progress_records_fraction() -> None:
    recipe = recipe_for("wgan-gp")
    recipe.set_progress(0.25)
    assert recipe.progress == 0.25


def test_freeze_discriminator_can_put_batch_norm_in_inference_mode() -> None:
    """Keras' frozen D: no gradients for D, and with ``frozen_d_batch_norm`` its batch norm
    runs on its moving statistics in the G step; undo restores both."""
    for keras_like in (False, True):
        recipe = recipe_for("dcgan", frozen_d_batch_norm=keras_like)
        recipe.train()
        norm = next(m for m in recipe.discriminator.modules() if isinstance(m, nn.BatchNorm2d))
        undo = recipe.freeze_discriminator()
        assert not any(p.requires_grad for p in recipe.discriminator.parameters())
        assert norm.training is not keras_like
        undo()
        assert all(p.requires_grad for p in recipe.discriminator.parameters())
        assert norm.training


# -- discriminate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "model", "forwards"),
    [
        ("gan", {}, 2),
        ("wgan-gp", {}, 2),
        ("dcgan", {}, 2),
        ("dcgan", {"joint_batch": True}, 1),  # Keras' [fake; real], batch norm over both
        ("acgan", {}, 2),
    ],
)
def test_discriminate_judges_each_batch_or_the_joint_one(name, model, forwards) -> None:
    recipe = recipe_for(name, **model)
    d = recipe.discriminator.eval()  # no dropout: the outputs are then comparable exactly
    real, fake = torch.randn(6, 1, 28, 28), torch.randn(5, 1, 28, 28)
    calls = []
    handle = d.register_forward_hook(lambda *_: calls.append(1))
    out_real, out_fake = recipe.discriminate(real, fake)
    handle.remove()
    assert len(calls) == forwards
    if model.get("joint_batch"):
        joint = d(torch.cat([fake, real]))
        expected_real, expected_fake = joint[5:], joint[:5]
    else:
        expected_real, expected_fake = d(real), d(fake)
    for got, want in ((out_real, expected_real), (out_fake, expected_fake)):
        for g, w in zip(*(o if isinstance(o, tuple) else (o,) for o in (got, want)), strict=True):
            torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)


# -- data-parallel ----------------------------------------------------------------------------


def test_per_sample_draws_of_the_ranks_together_are_one_process_draws() -> None:
    """Each of N processes (sharing one random stream) keeps its slice of a draw for the
    global batch: their latents differ, and side by side they are one process's."""
    one = recipe_for("acgan")
    torch.manual_seed(4)
    z = one.per_sample_draw(one.sample_latent, 6)
    labels = one.per_sample_draw(one.sample_labels, 6)
    parts = []
    for rank in range(3):
        recipe = recipe_for("acgan")
        recipe.distribute(rank, 3, lambda net: net)
        torch.manual_seed(4)
        parts.append(
            (
                recipe.per_sample_draw(recipe.sample_latent, 2),
                recipe.per_sample_draw(recipe.sample_labels, 2),
            )
        )
    assert torch.equal(torch.cat([p[0] for p in parts]), z)
    assert torch.equal(torch.cat([p[1] for p in parts]), labels)
    assert not torch.equal(parts[0][0], parts[1][0])


def test_distribute_wraps_the_step_forwards_but_not_a_frozen_d_in_g_step() -> None:
    recipe = recipe_for("dcgan")
    assert recipe.g_forward is recipe.generator and recipe.d_forward is recipe.discriminator
    wrapped: list[nn.Module] = []

    def wrap(net: nn.Module) -> nn.Module:
        wrapped.append(net)
        return nn.Sequential(net)

    recipe.distribute(1, 2, wrap)
    assert wrapped == [recipe.generator, recipe.discriminator]
    assert recipe.g_forward[0] is recipe.generator and recipe.d_forward[0] is recipe.discriminator
    assert recipe.discriminator_in_g_step is recipe.discriminator  # frozen: nothing to average
    quirky = recipe_for("acgan-mult", classic_quirks=True)  # D trains in G's step
    quirky.distribute(0, 2, wrap)
    assert quirky.discriminator_in_g_step is quirky.d_forward


# -- the weight average's batch-norm statistics --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "nets"),
    [("gan", {"g_hidden": [16], "d_hidden": [16]}), ("acgan", {"g_channels": 8, "d_channels": 8})],
)
def test_sampler_recomputes_the_averages_statistics_after_g_moves(name: str, nets: dict) -> None:
    recipe = recipe_for(name, ema_decay=0.9, **nets)
    ema = recipe.ema
    norm = ema.norms[0]
    with torch.no_grad():
        for p in recipe.generator.parameters():
            p.add_(0.5)
    recipe.after_generator_step(step=100)
    assert ema.stale
    rng = torch.get_rng_state()
    assert recipe.sampler is ema.model and not ema.stale
    assert torch.equal(torch.get_rng_state(), rng)  # training's random stream is untouched
    first = norm.running_mean.clone()
    assert not torch.equal(first, torch.zeros_like(first))  # its own, not the live G's zeros
    assert torch.equal(
        recipe.generator.state_dict()[_buffer_of(recipe, norm)], torch.zeros_like(first)
    )
    # the same weights give the same statistics: resumed runs sample the same images
    ema.stale = True
    _ = recipe.sampler
    assert torch.equal(norm.running_mean, first)


def _buffer_of(recipe: Recipe, norm: nn.Module) -> str:
    name = next(n for n, m in recipe.ema.model.named_modules() if m is norm)
    return f"{name}.running_mean"
