"""BCE, Wasserstein and AC-GAN objectives: config checks, annealed noise, step losses."""

import math

import pytest
import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.losses import r1_penalty
from ganforge.models import RECIPES, Recipe
from ganforge.models.layers import GaussianNoise
from ganforge.models.objectives import (
    AuxClassifierConfig,
    AuxClassifierRecipe,
    BCEConfig,
    BCERecipe,
    WassersteinConfig,
    WassersteinRecipe,
)
from ganforge.setup.build import build_recipe, make_config

# ganforge's tuned recipes; the classic presets have their own tests (tests/models/presets/)
ALL_RECIPES = sorted(n for n, c in RECIPES.items() if c.preset_of is None)
BCE_RECIPES = sorted(
    n
    for n in ALL_RECIPES
    if not issubclass(RECIPES[n], AuxClassifierRecipe) and issubclass(RECIPES[n], BCERecipe)
)
B = 4


pytestmark = pytest.mark.usefixtures("one_thread")


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def recipe_for(name: str, **model) -> Recipe:
    torch.manual_seed(0)
    return build_recipe(make_config(name, overrides={"model": model}), 10)


def real_batch(n: int = B) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.rand(n, 1, 28, 28, generator=g) * 2 - 1, torch.tensor([0, 0, 1, 2][:n])


def noise_sigmas(recipe: Recipe) -> list[float]:
    return [m.sigma for m in recipe.discriminator.modules() if isinstance(m, GaussianNoise)]


def last_linear(module: nn.Module) -> nn.Linear:
    return [m for m in module.modules() if isinstance(m, nn.Linear)][-1]


def constant_head(linear: nn.Linear, bias: float) -> None:
    with torch.no_grad():
        linear.weight.zero_()
        linear.bias.fill_(bias)


# -- configs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "key"),
    [
        (BCEConfig(real_label=1.1), "real_label"),
        (BCEConfig(fake_label=-0.1), "fake_label"),
        (BCEConfig(input_noise=-0.01), "input_noise"),
        (BCEConfig(r1_weight=-1.0), "r1_weight"),
        (WassersteinConfig(gp_weight=-1.0), "gp_weight"),
        (WassersteinConfig(gp_mix="beta"), "gp_mix"),
        (AuxClassifierConfig(class_weight=-0.5), "class_weight"),
        (AuxClassifierConfig(real_label=2.0), "real_label"),  # inherits BCE checks
        (AuxClassifierConfig(lr_g=0.0), "lr_g"),  # and the base checks
    ],
)
def test_objective_configs_reject_bad_values(cfg, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        cfg.validate()


@pytest.mark.parametrize(
    "cfg",
    [
        BCEConfig(real_label=0.9, fake_label=0.1, input_noise=0.2),
        WassersteinConfig(gp_weight=0.0, gp_mix="normal"),
        AuxClassifierConfig(class_weight=0.0),
    ],
)
def test_objective_configs_accept_edge_values(cfg) -> None:
    cfg.validate()


def test_recipe_objective_families() -> None:
    assert issubclass(RECIPES["wgan-gp"], WassersteinRecipe)
    assert issubclass(RECIPES["acgan"], AuxClassifierRecipe)
    assert set(BCE_RECIPES) == {"gan", "dcgan", "improved-dcgan", "allconv"}


# -- annealed instance noise --------------------------------------------------------------------


def test_improved_dcgan_anneals_input_noise() -> None:
    recipe = recipe_for("improved-dcgan")
    sigmas = noise_sigmas(recipe)
    assert sigmas == [pytest.approx(0.05)]
    recipe.set_progress(0.0)
    assert noise_sigmas(recipe) == [pytest.approx(0.05)]
    recipe.set_progress(0.5)
    assert noise_sigmas(recipe) == [pytest.approx(0.025)]
    assert recipe.progress == 0.5
    recipe.set_progress(1.0)
    assert noise_sigmas(recipe) == [pytest.approx(0.0)]


def test_noise_not_annealed_when_switched_off() -> None:
    recipe = recipe_for("improved-dcgan", input_noise_anneal=False)
    recipe.set_progress(0.5)
    assert noise_sigmas(recipe) == [pytest.approx(0.05)]
    dcgan = recipe_for("dcgan", input_noise=0.2)
    dcgan.set_progress(0.75)
    assert noise_sigmas(dcgan) == [pytest.approx(0.2)]


def test_annealing_also_works_for_mlp_discriminator() -> None:
    recipe = recipe_for("gan", input_noise=0.4, input_noise_anneal=True)
    recipe.set_progress(0.25)
    assert noise_sigmas(recipe) == [pytest.approx(0.3)]


# -- step losses --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_RECIPES)
def test_discriminator_step_loss(name: str) -> None:
    recipe = recipe_for(name)
    real, labels = real_batch()
    loss, stats = recipe.discriminator_step_loss(real, labels)
    assert loss.shape == ()
    assert loss.requires_grad
    assert torch.isfinite(loss)
    assert set(stats) == {"d_loss", "d_real", "d_fake", *recipe.extra_stats}
    assert all(v.shape == () and not v.requires_grad and torch.isfinite(v) for v in stats.values())
    assert stats["d_loss"].item() == loss.item()
    loss.backward()
    # fakes are drawn without a graph: D's loss never reaches G
    assert all(p.grad is None for p in recipe.generator.parameters())
    assert all(p.grad is not None for p in recipe.discriminator.parameters())


@pytest.mark.parametrize("name", ALL_RECIPES)
def test_generator_step_loss(name: str) -> None:
    recipe = recipe_for(name)
    loss, stats = recipe.generator_step_loss(B)
    assert loss.shape == ()
    assert loss.requires_grad
    assert torch.isfinite(loss)
    assert set(stats) == {"g_loss"}
    assert stats["g_loss"].item() == loss.item()
    loss.backward()
    assert all(p.grad is not None for p in recipe.generator.parameters())


@pytest.mark.parametrize("name", ALL_RECIPES)
def test_d_step_updates_d_only(name: str) -> None:
    recipe = recipe_for(name)
    _, opt_d = recipe.make_optimizers()
    g_before = [p.detach().clone() for p in recipe.generator.parameters()]
    d_before = [p.detach().clone() for p in recipe.discriminator.parameters()]
    loss, _ = recipe.discriminator_step_loss(*real_batch())
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    assert all(
        torch.equal(a, p) for a, p in zip(g_before, recipe.generator.parameters(), strict=True)
    )
    # every D parameter with a non-zero gradient moved (wgan-gp's output bias gets exactly
    # zero: E[D(G(z))] − E[D(x)] and the penalty do not depend on it)
    moved = [
        not torch.equal(a, p)
        for a, p in zip(d_before, recipe.discriminator.parameters(), strict=True)
        if p.grad.abs().sum() > 0
    ]
    assert len(moved) >= len(d_before) - 1
    assert all(moved)


@pytest.mark.parametrize("name", ["dcgan", "wgan-gp", "acgan"])
def test_g_step_updates_g_only(name: str) -> None:
    recipe = recipe_for(name)
    opt_g, _ = recipe.make_optimizers()
    g_before = [p.detach().clone() for p in recipe.generator.parameters()]
    d_before = [p.detach().clone() for p in recipe.discriminator.parameters()]
    loss, _ = recipe.generator_step_loss(B)
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    assert all(
        torch.equal(a, p) for a, p in zip(d_before, recipe.discriminator.parameters(), strict=True)
    )
    assert all(
        not torch.equal(a, p) for a, p in zip(g_before, recipe.generator.parameters(), strict=True)
    )


# -- step losses against hand-computed values (D's head made constant) --------------------------


@pytest.mark.parametrize("name", BCE_RECIPES)
def test_bce_losses_with_constant_logit(name: str) -> None:
    # logit ℓ = 1 everywhere: bce(ℓ, t) = softplus(ℓ) − t·ℓ
    recipe = recipe_for(name)
    constant_head(last_linear(recipe.discriminator), 1.0)
    cfg = recipe.cfg
    loss, stats = recipe.discriminator_step_loss(*real_batch())
    expected = 2 * softplus(1.0) - cfg.real_label - cfg.fake_label
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    sig = 1 / (1 + math.exp(-1))
    assert stats["d_real"].item() == pytest.approx(sig, rel=1e-5)
    assert stats["d_fake"].item() == pytest.approx(sig, rel=1e-5)
    g_loss, _ = recipe.generator_step_loss(B)
    assert g_loss.item() == pytest.approx(softplus(-1.0), rel=1e-5)  # non-saturating −log σ(ℓ)


def test_improved_dcgan_uses_smoothed_real_label() -> None:
    smoothed = recipe_for("improved-dcgan")
    plain = recipe_for("improved-dcgan", real_label=1.0)
    for r in (smoothed, plain):
        constant_head(last_linear(r.discriminator), 1.0)
    a, _ = smoothed.discriminator_step_loss(*real_batch())
    b, _ = plain.discriminator_step_loss(*real_batch())
    assert a.item() - b.item() == pytest.approx(0.1, rel=1e-4)


def test_wgan_gp_losses_with_constant_critic() -> None:
    # constant critic b: E[D(G(z))] − E[D(x)] = 0, ∇D = 0 so GP = (0 − 1)² = 1
    recipe = recipe_for("wgan-gp", gp_weight=7.0)
    constant_head(last_linear(recipe.discriminator), 0.7)
    loss, stats = recipe.discriminator_step_loss(*real_batch())
    assert loss.item() == pytest.approx(7.0, rel=1e-5)
    assert stats["gp"].item() == pytest.approx(1.0, rel=1e-5)
    assert stats["d_real"].item() == pytest.approx(0.7, rel=1e-5)
    assert stats["d_fake"].item() == pytest.approx(0.7, rel=1e-5)
    assert stats["w_dist"].item() == pytest.approx(0.0, abs=1e-6)
    g_loss, _ = recipe.generator_step_loss(B)
    assert g_loss.item() == pytest.approx(-0.7, rel=1e-5)


@pytest.mark.parametrize("fake_class_loss", [True, False])
def test_acgan_losses_with_constant_heads(fake_class_loss: bool) -> None:
    # adversarial logit 1, class logits all 0: CE = ln 10 per batch
    recipe = recipe_for("acgan", class_weight=0.5, fake_class_loss=fake_class_loss)
    constant_head(recipe.discriminator.adversarial, 1.0)
    constant_head(recipe.discriminator.classifier, 0.0)
    real, labels = real_batch()  # labels 0, 0, 1, 2
    loss, stats = recipe.discriminator_step_loss(real, labels)
    cls = (2 if fake_class_loss else 1) * math.log(10)
    assert stats["cls_loss"].item() == pytest.approx(cls, rel=1e-5)
    assert loss.item() == pytest.approx(2 * softplus(1.0) - 1.0 + 0.5 * cls, rel=1e-5)
    assert stats["cls_acc"].item() == pytest.approx(0.5)  # ties → class 0; half the labels are 0
    g_loss, _ = recipe.generator_step_loss(B)
    assert g_loss.item() == pytest.approx(softplus(-1.0) + 0.5 * math.log(10), rel=1e-5)


def test_acgan_class_loss_is_cross_entropy_on_logits() -> None:
    # class logits (10, 0, …, 0) with label 0: CE on logits = log(1 + 9e⁻¹⁰) ≈ 4.1e-4;
    # CE applied to a softmax would instead give about 1.46
    recipe = recipe_for("acgan", fake_class_loss=False)
    constant_head(recipe.discriminator.classifier, 0.0)
    with torch.no_grad():
        recipe.discriminator.classifier.bias[0] = 10.0
    real, _ = real_batch()
    _, stats = recipe.discriminator_step_loss(real, torch.zeros(B, dtype=torch.long))
    assert stats["cls_loss"].item() == pytest.approx(math.log1p(9 * math.exp(-10)), rel=1e-3)
    assert stats["cls_acc"].item() == 1.0


# -- R1 on D's real images ---------------------------------------------------------------------


def twins(name: str, **model) -> tuple[Recipe, Recipe]:
    """The recipe without and with R1 (γ = 4), with the same G and D weights."""
    plain = recipe_for(name, r1_weight=0.0, **model)
    penalized = recipe_for(name, r1_weight=4.0, **model)
    penalized.generator.load_state_dict(plain.generator.state_dict())
    penalized.discriminator.load_state_dict(plain.discriminator.state_dict())
    return plain, penalized


@pytest.mark.parametrize(
    ("name", "d_output"), [("dcgan", "logit"), ("dcgan", "pair"), ("acgan", "logit")]
)
def test_r1_adds_half_gamma_times_the_penalty(name: str, d_output: str) -> None:
    plain, penalized = twins(name, d_output=d_output)
    real, labels = real_batch()
    torch.manual_seed(5)
    without, _ = plain.discriminator_step_loss(real, labels)
    torch.manual_seed(5)
    with_r1, stats = penalized.discriminator_step_loss(real, labels)

    # D's slope at the real batch, worked out apart: the logit, or the pair head's
    # real-minus-fake logit, which plays the logit's part in the softmax.
    x = real.clone().requires_grad_(True)
    out = penalized.discriminator(x)
    out = out[0] if isinstance(out, tuple) else out
    scores = out if d_output == "logit" else out[:, 1] - out[:, 0]
    r1 = r1_penalty(x, scores).item()

    assert r1 > 0
    assert stats["r1"].item() == pytest.approx(r1, rel=1e-4)
    assert (with_r1 - without).item() == pytest.approx(2.0 * r1, rel=1e-4)
    assert stats["d_loss"].item() == pytest.approx(with_r1.item())


def test_r1_with_a_joint_batch_is_taken_on_its_real_half(monkeypatch) -> None:
    # One D forward over [fake; real] (batch norm sees both): R1 differentiates the real
    # rows' logits of that forward, and is not halved as the joint adversarial loss is.
    plain, penalized = twins("dcgan", joint_batch=True)
    real, labels = real_batch()
    fake = torch.rand(B, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 2 - 1
    for recipe in (plain, penalized):
        monkeypatch.setattr(recipe, "fresh_fakes", lambda n, labels=None: (fake, None))
    without, _ = plain.discriminator_step_loss(real, labels)
    with_r1, stats = penalized.discriminator_step_loss(real, labels)
    x = real.clone().requires_grad_(True)
    r1 = r1_penalty(x, penalized.discriminator(torch.cat([fake, x]))[B:]).item()
    assert r1 > 0
    assert stats["r1"].item() == pytest.approx(r1, rel=1e-4)
    assert (with_r1 - without).item() == pytest.approx(2.0 * r1, rel=1e-4)


def test_r1_of_a_constant_d_is_zero() -> None:
    recipe = recipe_for("dcgan", r1_weight=10.0, input_noise=0.0)
    constant_head(last_linear(recipe.discriminator), 1.0)
    loss, stats = recipe.discriminator_step_loss(*real_batch())
    assert stats["r1"].item() == 0.0
    assert loss.item() == pytest.approx(2 * softplus(1.0) - 1.0, rel=1e-5)


def test_r1_reaches_d_weights_and_is_logged_only_when_on() -> None:
    plain, penalized = twins("dcgan")
    assert "r1" in penalized.extra_stats and penalized.double_backward
    assert "r1" not in plain.extra_stats and not plain.double_backward
    grads = []
    for recipe in (plain, penalized):
        torch.manual_seed(5)
        loss, _ = recipe.discriminator_step_loss(*real_batch())
        loss.backward()
        grads.append(recipe.discriminator[-1].weight.grad.clone())
    assert not torch.allclose(grads[0], grads[1])
