"""The GAN step as a function: called on a recipe and two optimizers, with no Trainer."""

import pytest
import torch

from ganforge.engine.step import gan_step, stat_names, step_batches, training_progress
from ganforge.setup import build_recipe, make_config


def small(recipe: str, **model):
    torch.manual_seed(0)
    cfg = make_config(recipe, overrides={"model": model})
    built = build_recipe(cfg, 10)
    return cfg, built, *built.make_optimizers()


def batch(n: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g) * 2 - 1, torch.arange(n) % 10


@pytest.mark.parametrize("recipe", ["gan", "acgan", "wgan-gp"])
def test_one_step_updates_both_networks_and_returns_named_statistics(recipe) -> None:
    cfg, r, opt_g, opt_d = small(recipe)
    g_before = [p.detach().clone() for p in r.generator.parameters()]
    d_before = [p.detach().clone() for p in r.discriminator.parameters()]
    batches = [batch(seed=i) for i in range(cfg.model.d_steps)]
    stats = gan_step(r, opt_d, opt_g, batches, step=0, progress=0.0)
    assert stats.shape == (len(stat_names(r)),)
    assert torch.isfinite(stats).all()
    assert any(
        not torch.equal(a, p) for a, p in zip(g_before, r.generator.parameters(), strict=True)
    )
    assert any(
        not torch.equal(a, p) for a, p in zip(d_before, r.discriminator.parameters(), strict=True)
    )
    # D is trainable again after G's step, which ran it frozen
    assert all(p.requires_grad for p in r.discriminator.parameters())


def test_d_takes_one_optimizer_step_per_batch() -> None:
    _, r, opt_g, opt_d = small("gan")
    calls = []
    real_step = opt_d.step
    opt_d.step = lambda *a, **k: calls.append(1) or real_step(*a, **k)
    gan_step(r, opt_d, opt_g, [batch(seed=1), batch(seed=2), batch(seed=3)], step=0, progress=0)
    assert len(calls) == 3


def test_the_step_is_deterministic_given_the_seed() -> None:
    def once() -> torch.Tensor:
        _, r, opt_g, opt_d = small("dcgan")
        torch.manual_seed(5)
        return gan_step(r, opt_d, opt_g, [batch()], step=0, progress=0.0)

    assert torch.equal(once(), once())


def test_learning_rates_decay_below_lr_decay_from() -> None:
    _, r, opt_g, opt_d = small("gan")
    peak_g = opt_g.param_groups[0]["lr"]
    gan_step(r, opt_d, opt_g, [batch()], step=0, progress=0.75, lr_decay_from=0.5)
    assert opt_g.param_groups[0]["lr"] == pytest.approx(peak_g * 0.5)


def test_step_batches_draws_one_per_d_update_or_one_for_all() -> None:
    drawn = iter([batch(seed=i) for i in range(10)])
    apart = make_config("gan", overrides={"model": {"d_steps": 3}}).model
    assert len(step_batches(drawn, apart)) == 3
    same = make_config("gan", overrides={"model": {"d_steps": 3, "d_steps_same_batch": True}}).model
    one = step_batches(drawn, same)
    assert len(one) == 3 and all(b is one[0] for b in one)


def test_progress_is_the_nearer_of_steps_and_time() -> None:
    assert training_progress(25, 100, 0.0, 0.0) == 0.25
    assert training_progress(25, 100, 30.0, 60.0) == 0.5
    assert training_progress(90, 100, 30.0, 60.0) == 0.9
    assert training_progress(10, 100, 120.0, 60.0) == 1.0
