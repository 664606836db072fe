"""The augmentation pipe and ADA's controller on their own, and a recipe with augmentation
on: D's inputs augmented everywhere, its state dict unchanged, sampling untouched."""

import pytest
import torch

from ganforge.config.augment import AUGMENT_OPS
from ganforge.models.augment import AdaController, AugmentedD, AugmentPipe, ada_adjust
from ganforge.models.augment.pipe import PARAMETERS
from ganforge.setup.build import build_recipe, make_config

STRENGTHS = {
    "translation": 0.125,
    "scale": 0.2,
    "rotation": 15.0,
    "brightness": 0.25,
    "contrast": 0.5,
    "cutout": 0.5,
}


def test_the_uniforms_pin_each_parameter():
    pipe = AugmentPipe(["cutout", "translation"], STRENGTHS, "-1,1")  # applied in fixed order
    assert pipe.policy == ("translation", "cutout") and pipe.columns == 2 + 1 + 2 + 1
    # translation: applied (0 < p), x from the top of U: +m with m = round(0.125 × 8) = 1,
    # y from the bottom: -1; cutout not applied (its first column 0.99 ≥ p = 0.5).
    u = torch.tensor([[0.0, 0.999, 0.0, 0.99, 0.5, 0.5]])
    x = torch.full((1, 1, 8, 8), -1.0)
    x[0, 0, 4, 4] = 1.0
    out = pipe(x, u, 0.5)
    assert out[0, 0].argmax().item() == 3 * 8 + 5  # 1 right, 1 up
    params = pipe.parameters_of(u, 1.0, 8, 8)
    assert [t.item() for t in params["cutout"]] == [4.0, 4.0, 4.0]  # centre (4, 4), side 4


def test_probability_zero_is_the_identity_and_one_changes_every_image():
    pipe = AugmentPipe(AUGMENT_OPS, STRENGTHS, "0,1")
    assert pipe.columns == sum(1 + PARAMETERS[op] for op in AUGMENT_OPS)
    torch.manual_seed(0)
    x = torch.rand(16, 1, 28, 28)
    u = pipe.draw(16, x.device)
    assert torch.equal(pipe(x, u, 0.0), x)  # nothing applied: nothing computed
    changed = (pipe(x, u, 1.0) - x).flatten(1).abs().amax(1)
    assert (changed > 0.01).all()
    # Seeded draws repeat.
    torch.manual_seed(1)
    a = pipe.draw(4, x.device)
    torch.manual_seed(1)
    assert torch.equal(a, pipe.draw(4, x.device))


def test_each_operation_runs_on_the_images_it_is_applied_to_and_leaves_the_others():
    pipe = AugmentPipe(AUGMENT_OPS, STRENGTHS, "-1,1")
    torch.manual_seed(0)
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    u = pipe.draw(6, x.device)
    decide = list(pipe.decisions().values())
    u[:3, decide] = 0.9  # images 0-2: no operation at p = 0.5
    u[3:, decide] = 0.1  # images 3-5: every operation
    x.requires_grad_(True)
    out = pipe(x, u, 0.5)
    assert torch.equal(out[:3], x[:3])
    full = pipe(x.detach(), u, 1.0)
    assert torch.allclose(out[3:], full[3:], atol=1e-6)  # the same arithmetic, row by row
    out.sum().backward()  # the untouched images pass their gradient through as is
    assert torch.equal(x.grad[:3], torch.ones(3, 1, 28, 28))


def test_ada_adjust_moves_p_towards_the_target_within_0_and_1():
    p = torch.tensor(0.5)
    images = torch.tensor(1000.0)
    assert ada_adjust(p, torch.tensor(0.9), images, 0.6, 10_000).item() == pytest.approx(0.6)
    assert ada_adjust(p, torch.tensor(0.1), images, 0.6, 10_000).item() == pytest.approx(0.4)
    assert ada_adjust(p, torch.tensor(0.6), images, 0.6, 10_000).item() == 0.5
    assert ada_adjust(torch.tensor(0.95), torch.tensor(1.0), images, 0.6, 1000).item() == 1.0
    assert ada_adjust(torch.tensor(0.05), torch.tensor(-1.0), images, 0.6, 1000).item() == 0.0


def test_the_controller_adjusts_once_per_interval_from_the_signs_it_saw():
    ada = AdaController(target=0.6, speed=100, interval=2)
    ada.observe(torch.tensor([[3.0], [1.0], [-2.0], [5.0]]))  # r = (1 + 1 - 1 + 1) / 4
    ada.after_step(0)  # not the interval's end
    assert ada.p.item() == 0.0 and ada.acc.tolist() == [2.0, 4.0]
    ada.observe(torch.tensor([1.0, 1.0, 1.0, 1.0]))
    p_used = ada.p
    ada.after_step(1)  # r_t = 6 / 8 = 0.75 > 0.6: p up by 8 / 100
    assert ada.r_t.item() == 0.75 and ada.p.item() == pytest.approx(0.08)
    assert p_used.item() == 0.0  # the tensor a step logged keeps its value
    assert ada.acc.tolist() == [0.0, 0.0]
    ada.observe(-torch.ones(8))
    summed = []
    ada.after_step(3, lambda t: summed.append(t.clone()) or t * 2)  # as if two processes
    assert summed[0].tolist() == [-8.0, 8.0]
    assert ada.r_t.item() == -1.0 and ada.p.item() == 0.0  # down 16/100, clamped at 0


def test_d_sees_augmented_images_and_keeps_its_state_dict():
    plain = make_config("dcgan", overrides={"model": {"g_channels": 8, "d_channels": 8}})
    ada = make_config(
        "dcgan", overrides={"model": {"g_channels": 8, "d_channels": 8, "augment": "ada"}}
    )
    a, b = build_recipe(plain, 10, torch.device("cpu")), build_recipe(ada, 10, torch.device("cpu"))
    assert a.d_forward is a.discriminator and a.discriminator_in_g_step is a.discriminator
    assert isinstance(b.d_forward, AugmentedD) and isinstance(b.discriminator_in_g_step, AugmentedD)
    assert a.discriminator.state_dict().keys() == b.discriminator.state_dict().keys()
    assert list(b.d_forward.parameters()) == list(b.discriminator.parameters())
    assert b.extra_stats == ("ada_p", "ada_rt", "r1")
    # R1's gradient is taken w.r.t. the real leaf through the augmentation.
    b.augmentation.ada.p = torch.tensor(1.0)
    real = torch.rand(4, 1, 28, 28) * 2 - 1
    _, stats = b.discriminator_step_loss(real, torch.zeros(4, dtype=torch.long))
    assert stats["r1"].item() > 0 and stats["ada_p"].item() == 1.0


def test_sampling_never_sees_the_augmentation():
    def images(augment: str) -> torch.Tensor:
        torch.manual_seed(0)
        model = {"g_channels": 8, "d_channels": 8, "augment": augment}
        recipe = build_recipe(make_config("dcgan", overrides={"model": model}), 10, "cpu")
        if recipe.augmentation is not None:
            recipe.augmentation.ada.p = torch.tensor(1.0)
        z = torch.randn(4, recipe.cfg.latent_dim, generator=torch.Generator().manual_seed(1))
        return recipe.sample_images(z)

    assert torch.equal(images("none"), images("ada"))


def test_data_parallel_processes_take_their_slice_of_the_global_draw():
    cfg = make_config("gan", overrides={"model": {"augment": "diffaugment"}})
    one = build_recipe(cfg, 10, "cpu")
    x = torch.rand(4, 1, 28, 28)
    torch.manual_seed(5)
    whole = one.augmentation(torch.cat([x, x]))
    for rank in (0, 1):
        recipe = build_recipe(cfg, 10, "cpu")
        recipe.rank, recipe.world_size = rank, 2
        torch.manual_seed(5)
        assert torch.equal(recipe.augmentation(x), whole[rank * 4 : (rank + 1) * 4])


def test_without_the_row_lookup_the_pipe_gives_the_same_images(monkeypatch):
    from ganforge.models.augment import pipe as pipe_module

    # On a GPU each operation runs on every image and torch.where keeps the skipped ones.
    pipe = AugmentPipe(AUGMENT_OPS, STRENGTHS, "-1,1")
    torch.manual_seed(0)
    x = (torch.rand(8, 1, 28, 28) * 2 - 1).requires_grad_(True)
    u = pipe.draw(8, x.device)
    looked_up = pipe(x, u, 0.5)
    on_rows = pipe_module._on_rows
    monkeypatch.setattr(
        pipe_module, "_on_rows", lambda y, rows, fn, lookup: on_rows(y, rows, fn, lookup=False)
    )
    kept = pipe(x, u, 0.5)
    skipped = (u[:, list(pipe.decisions().values())] >= 0.5).all(1)
    assert 0 < int(skipped.sum()) < 8
    assert torch.equal(kept[skipped], x[skipped])
    assert torch.allclose(kept, looked_up, atol=1e-6)  # the same arithmetic, row by row
    kept.sum().backward()
    assert torch.equal(x.grad[skipped], torch.ones_like(x.grad[skipped]))
