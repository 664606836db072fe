"""Using a trained model: slerp, interpolation latents, labels, class checks, load_model."""

import math
from pathlib import Path

import pytest
import torch

from ganforge.config.layouts import plan_layout
from ganforge.data.batches import ImageTransform
from ganforge.errors import CheckpointError, ConfigError
from ganforge.generation import (
    TrainedModel,
    class_interpolation,
    interpolation_latents,
    layout_samples,
    load_model,
    sample_labels,
    slerp,
)
from ganforge.generation.files import default_output
from ganforge.rundir.checkpoint import EMA_STANDING_STATS, recipe_modules, save_checkpoint
from ganforge.rundir.confine import UnsafePathError
from ganforge.setup.build import build_recipe, make_config

pytestmark = pytest.mark.usefixtures("one_thread")


def model_for(name: str = "dcgan", num_classes: int = 10, **model) -> TrainedModel:
    torch.manual_seed(0)
    cfg = make_config(name, overrides={"model": model})
    recipe = build_recipe(cfg, num_classes)
    recipe.generator.eval()
    transform = ImageTransform(cfg.model.data_range, cfg.model.resolution)
    return TrainedModel(recipe, cfg, transform, Path("x"))


def save_run(run_dir: Path, name: str, num_classes: int = 10, standing: bool = True, **model):
    """A run directory holding checkpoints/last.safetensors of a freshly built recipe
    (``standing``: its weight average's batch-norm statistics marked as its own)."""
    torch.manual_seed(1)
    cfg = make_config(name, overrides={"model": model})
    recipe = build_recipe(cfg, num_classes)
    # make BN running stats non-default so they are part of what must round-trip
    recipe.fresh_fakes(4)
    path = run_dir / "checkpoints" / "last.safetensors"
    path.parent.mkdir(parents=True)
    if recipe.ema is not None:  # an average that differs from the live weights
        with torch.no_grad():
            for p in recipe.ema.model.parameters():
                p.add_(0.5)
    save_checkpoint(
        path,
        modules=recipe_modules(recipe),
        optimizers={},
        meta={
            "recipe": name,
            "step": 5,
            "config": cfg.to_dict(),
            "num_classes": num_classes,
            **({"ema_batch_norm": EMA_STANDING_STATS} if standing else {}),
        },
    )
    return cfg, recipe, path


def overwrite_checkpoint(path: Path, recipe, cfg) -> None:
    """Rewrite ``path`` with ``recipe``'s G and D (no EMA) under ``cfg``, a dcgan config."""
    save_checkpoint(
        path,
        modules={"generator": recipe.generator, "discriminator": recipe.discriminator},
        optimizers={},
        meta={"recipe": "dcgan", "step": 5, "config": cfg.to_dict(), "num_classes": 10},
    )


# -- slerp -------------------------------------------------------------------------------------


def rows(seed: int, scale: float = 1.0, dim: int = 100) -> torch.Tensor:
    return torch.randn(1, dim, generator=torch.Generator().manual_seed(seed)) * scale


def test_slerp_endpoints() -> None:
    a, b = rows(0), rows(1, 2.5)
    assert torch.allclose(slerp(a, b, torch.tensor([0.0])), a, atol=1e-5)
    assert torch.allclose(slerp(a, b, torch.tensor([1.0])), b, atol=1e-5)


def test_slerp_keeps_norm_of_equal_norm_rows() -> None:
    a, b = rows(0), rows(1)
    b = b / b.norm() * a.norm()
    for t in torch.linspace(0, 1, 9):
        assert slerp(a, b, t.view(1)).norm().item() == pytest.approx(a.norm().item(), rel=1e-5)
    # linear interpolation would dip: the midpoint of two near-orthogonal rows has ~0.7 of the norm
    assert ((a + b) / 2).norm().item() < 0.8 * a.norm().item()


def test_slerp_orthogonal_rows_by_hand() -> None:
    # a = 3·e₁, b = 4·e₂: ω = π/2, slerp = 3cos(tπ/2)·e₁ + 4sin(tπ/2)·e₂
    a = torch.tensor([[3.0, 0.0, 0.0]])
    b = torch.tensor([[0.0, 4.0, 0.0]])
    for t in (0.0, 0.25, 0.5, 0.9):
        expected = [3 * math.cos(t * math.pi / 2), 4 * math.sin(t * math.pi / 2), 0.0]
        assert slerp(a, b, torch.tensor([t]))[0].tolist() == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("seed", range(5))
def test_slerp_norms_stay_between(seed: int) -> None:
    a, b = rows(2 * seed), rows(2 * seed + 1, 0.5 + seed * 0.6)
    if (a * b).sum() < 0:
        b = -b  # with an obtuse angle, slerp of unequal norms may overshoot by ~1%
    lo, hi = sorted((a.norm().item(), b.norm().item()))
    for t in torch.linspace(0, 1, 11):
        n = slerp(a, b, t.view(1)).norm().item()
        assert lo * (1 - 1e-5) <= n <= hi * (1 + 1e-5)


def test_slerp_identical_rows_is_constant_and_finite() -> None:
    a = rows(3)
    out = torch.cat([slerp(a, a, torch.tensor([t])) for t in (0.0, 0.3, 1.0)])
    assert torch.isfinite(out).all()
    assert torch.allclose(out, a.expand(3, -1), atol=1e-4)


def test_slerp_interpolates_rows_independently() -> None:
    # each row i is slerped between a[i] and b[i] at t[i] (HEAD's version broadcast ω to N×N)
    a = torch.cat([rows(0), rows(1), rows(2)])
    b = torch.cat([rows(3), rows(4), rows(5)])
    t = torch.tensor([0.0, 0.5, 1.0])
    out = slerp(a, b, t)
    assert out.shape == (3, 100)
    assert torch.allclose(out[0], a[0], atol=1e-5)
    assert torch.allclose(out[1], slerp(a[1:2], b[1:2], t[1:2])[0], atol=1e-5)
    assert torch.allclose(out[2], b[2], atol=1e-5)


# -- interpolation latents -------------------------------------------------------------------------


def test_interpolation_latents_uniform() -> None:
    model = model_for("gan", latent_distribution="uniform")
    z = interpolation_latents(model, 3, 8, steps=5)
    a, b = model.latents(3, 1), model.latents(8, 1)
    assert z.shape == (5, 64)
    assert torch.equal(z[0], a[0])
    assert torch.allclose(z[-1], b[0], atol=1e-6)
    assert torch.allclose(z[2], (a[0] + b[0]) / 2, atol=1e-6)  # straight line, even steps


def test_interpolation_latents_normal() -> None:
    model = model_for("dcgan")
    z = interpolation_latents(model, 3, 8, steps=8)
    a, b = model.latents(3, 1), model.latents(8, 1)
    assert z.shape == (8, 100)
    assert torch.allclose(z[0], a[0], atol=1e-5)
    assert torch.allclose(z[-1], b[0], atol=1e-5)
    norms = z.norm(dim=1)
    assert torch.all(norms > 0.9 * min(a.norm(), b.norm()))


def test_latents_depend_on_seed_only() -> None:
    model = model_for("dcgan")
    assert torch.equal(model.latents(5, 4), model.latents(5, 4))
    assert not torch.equal(model.latents(5, 4), model.latents(6, 4))
    assert model.latents(5, 4).shape == (4, 100)


# -- labels and classes -----------------------------------------------------------------------


def test_sample_labels_unconditional_is_none() -> None:
    assert sample_labels(model_for("dcgan"), 8, None) is None


def test_sample_labels_cycle_through_classes() -> None:
    labels = sample_labels(model_for("acgan"), 25, None)
    assert labels.dtype == torch.long
    assert labels.tolist() == [i % 10 for i in range(25)]
    labels = sample_labels(model_for("acgan", num_classes=4), 6, None)
    assert labels.tolist() == [0, 1, 2, 3, 0, 1]


def test_sample_labels_fixed_class() -> None:
    labels = sample_labels(model_for("acgan"), 5, 7)
    assert labels.dtype == torch.long
    assert labels.tolist() == [7] * 5


def test_check_class() -> None:
    conditional = model_for("acgan")
    for ok in (None, 0, 9):
        conditional.check_class(ok)  # raises on failure
    for bad in (10, -1):
        with pytest.raises(ConfigError, match=r"0\.\.9"):
            conditional.check_class(bad)
    unconditional = model_for("dcgan")
    unconditional.check_class(None)
    with pytest.raises(ConfigError, match="'dcgan' is not conditional"):
        unconditional.check_class(3)


@pytest.mark.parametrize(
    ("names", "given", "want"),
    [
        (("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"), "Trouser", 1),
        (("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"), "T-SHIRT/TOP", 0),
        (("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"), "3", 3),
        (("ankle boot", "bag", "my class", "x", "y"), "My Class", 2),
        # A name wins over an index, and an exact name over one that differs in case.
        (("1", "10", "2", "3", "4"), "2", 2),
        (("Cat", "cat", "dog", "x", "y"), "cat", 1),
    ],
)
def test_a_class_is_given_by_its_name_or_its_index(names, given, want) -> None:
    model = model_for("acgan", num_classes=5)
    model.data_class_names = names
    assert model.class_index(given) == want
    assert model.class_index(None) is None


def test_a_class_that_is_not_one_is_one_line_listing_the_names() -> None:
    model = model_for("acgan", num_classes=12)
    model.data_class_names = tuple(f"c{k}" for k in range(12))
    listed = "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, …"
    for bad in ("c12", "12", "-1", ""):
        with pytest.raises(ConfigError) as err:
            model.class_index(bad)
        assert str(err.value) == f"--class must be in 0..11 or a class name ({listed}), got {bad!r}"
    model.data_class_names = ("Cat", "cat", *(f"c{k}" for k in range(10)))
    with pytest.raises(ConfigError, match=r"'CAT' matches Cat, cat .* give one exactly"):
        model.class_index("CAT")
    with pytest.raises(ConfigError, match="'dcgan' is not conditional"):
        model_for("dcgan").class_index("0")


def test_generate_shapes() -> None:
    model = model_for("acgan")
    x = model.generate(model.latents(0, 3), torch.tensor([1, 2, 3]))
    assert x.shape == (3, 1, 28, 28)
    assert not x.requires_grad
    assert model.conditional
    assert not model_for("gan").conditional


# -- load_model --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "num_classes", "model"),
    [
        ("dcgan", 10, {"g_channels": 8, "d_channels": 8}),
        ("acgan", 7, {"g_channels": 8, "d_channels": 8, "data_range": "0,1"}),
        ("allconv", 10, {"latent_distribution": "uniform"}),
    ],
)
def test_load_model_round_trip(tmp_path: Path, name: str, num_classes: int, model: dict) -> None:
    cfg, recipe, path = save_run(tmp_path, name, num_classes, **model)
    loaded = load_model(tmp_path)
    assert loaded.checkpoint == path
    assert loaded.config == cfg
    assert loaded.recipe.name == name
    assert loaded.recipe.num_classes == num_classes
    assert not loaded.recipe.generator.training
    assert (loaded.transform.data_range, loaded.transform.resolution) == (
        cfg.model.data_range,
        cfg.model.resolution,
    )
    ours, theirs = loaded.recipe.generator.state_dict(), recipe.generator.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    recipe.generator.eval()
    recipe.sampler.eval()
    z = loaded.latents(0, 2)
    labels = torch.tensor([0, num_classes - 1]) if recipe.conditional else None
    with torch.no_grad():  # samples come from the weight average where the recipe keeps one
        assert torch.equal(loaded.generate(z, labels), recipe.generate(z, labels, recipe.sampler))


def test_load_model_samples_from_the_weight_average(tmp_path: Path) -> None:
    _, recipe, _ = save_run(tmp_path, "dcgan", g_channels=8, d_channels=8, ema_decay=0.99)
    loaded = load_model(tmp_path)
    ours, theirs = loaded.recipe.sampler.state_dict(), recipe.ema.model.state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    z = loaded.latents(0, 2)
    recipe.ema.model.eval()
    with torch.no_grad():
        expected = recipe.ema.model(z)
        assert torch.equal(loaded.generate(z), expected)
        assert not torch.equal(loaded.generate(z), recipe.generator.eval()(z))
    assert torch.equal(loaded.recipe.sample_images(z), expected)


def test_an_older_checkpoints_average_gets_statistics_of_its_own(tmp_path: Path) -> None:
    # saved before standing statistics: its average holds the live G's, recomputed on load
    _, recipe, _ = save_run(
        tmp_path, "dcgan", standing=False, g_channels=8, d_channels=8, ema_decay=0.99
    )
    loaded = load_model(tmp_path)
    ours, theirs = loaded.recipe.sampler.state_dict(), recipe.ema.model.state_dict()
    assert not loaded.recipe.ema.stale
    weights = [k for k in theirs if not k.split(".")[-1].startswith(("running", "num_batches"))]
    assert weights and all(torch.equal(ours[k], theirs[k]) for k in weights)
    means = [k for k in theirs if k.endswith("running_mean")]
    assert means and not any(torch.equal(ours[k], theirs[k]) for k in means)


def test_load_model_without_the_average_the_config_promises(tmp_path: Path) -> None:
    cfg, recipe, path = save_run(tmp_path, "dcgan", g_channels=8, d_channels=8)
    cfg.model.ema_decay = 0.99
    overwrite_checkpoint(path, recipe, cfg)
    with pytest.raises(CheckpointError, match="holds no generator_ema weights"):
        load_model(path)


def test_load_model_from_file_and_explicit_checkpoint(tmp_path: Path) -> None:
    _, recipe, path = save_run(tmp_path, "dcgan", g_channels=8, d_channels=8)
    copy = tmp_path / "elsewhere.safetensors"
    copy.write_bytes(path.read_bytes())
    for loaded in (load_model(path), load_model(tmp_path, checkpoint=copy)):
        w = loaded.recipe.generator.state_dict()["0.weight"]
        assert torch.equal(w, recipe.generator.state_dict()["0.weight"])
    assert load_model(tmp_path, checkpoint=copy).checkpoint == copy


def test_load_model_without_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="has no checkpoint"):
        load_model(tmp_path)


def test_load_model_on_garbage(tmp_path: Path) -> None:
    p = tmp_path / "model.safetensors"
    p.write_bytes(b"\x01\x02not a checkpoint")
    with pytest.raises(CheckpointError, match=str(p)):
        load_model(p)


def test_load_model_weights_not_fitting_config(tmp_path: Path) -> None:
    cfg, _, path = save_run(tmp_path, "dcgan", g_channels=8, d_channels=8)
    wider = build_recipe(make_config("dcgan", overrides={"model": {"g_channels": 16}}), 10)
    overwrite_checkpoint(path, wider, cfg)  # the config says 8 channels, the weights have 16
    with pytest.raises(
        CheckpointError,
        match=r"generator.0.weight is float32 \(1568, 100\), expected float32 \(784, 100\)",
    ):
        load_model(tmp_path)


# -- layout_samples ----------------------------------------------------------------------------


def test_layout_samples_draw_each_cell_from_its_latent_and_class() -> None:
    model = model_for("acgan", g_channels=8, d_channels=8)
    layout = plan_layout("classes-5x6", tuple("abcdefghij"))
    ((page, images),) = layout_samples(model.recipe, layout, seed=4)
    assert page is layout.pages[0] and images.shape == (30, 1, 28, 28)
    # Cell 16 is the second sample of class 5: latent 1 of the seed's three.
    expected = model.recipe.sample_images(model.latents(4, 3)[[1]], torch.tensor([5]))
    assert torch.allclose(images[16:17], expected, atol=1e-6)


def test_layout_samples_of_every_page_share_the_latents() -> None:
    model = model_for("acgan", g_channels=8, d_channels=8)
    pages = layout_samples(model.recipe, plan_layout("per-class", tuple("abc")), seed=0)
    assert [page.title for page, _ in pages] == ["a", "b", "c"]
    assert all(images.shape == (64, 1, 28, 28) for _, images in pages)
    assert not torch.equal(pages[0][1], pages[1][1])  # the class changes the digits


def test_class_interpolation_ends_at_the_two_classes() -> None:
    model = model_for("acgan", latent_dim=8, g_channels=8, d_channels=8)
    images = class_interpolation(model, seed=3, class_from=2, class_to=7, steps=5)
    z = model.latents(3, 1).expand(2, -1)
    ends = model.recipe.sample_images(z, torch.tensor([2, 7]))
    assert images.shape == (5, 1, 28, 28)
    torch.testing.assert_close(images[[0, -1]], ends)
    assert not torch.allclose(images[2], ends[0]) and not torch.allclose(images[2], ends[1])


def test_class_interpolation_refuses_what_it_cannot_mix() -> None:
    with pytest.raises(ConfigError, match="cannot morph between classes"):
        class_interpolation(model_for("dcgan", latent_dim=8), 0, 0, 1, 3)
    acgan = model_for("acgan", latent_dim=8, g_channels=8, d_channels=8)
    with pytest.raises(ConfigError, match=r"0\.\.9"):
        class_interpolation(acgan, 0, 0, 10, 3)


def test_a_runs_default_output_stays_inside_the_run(tmp_path: Path) -> None:
    """Found by tests/fuzz: ``ganforge sample RUN`` wrote its grid through a ``generated``
    symlink leading out of the run."""
    run, outside = tmp_path / "run", tmp_path / "outside"
    run.mkdir()
    outside.mkdir()
    assert default_output(run, "grid_seed0.png") == run / "generated" / "grid_seed0.png"
    (run / "generated").symlink_to(outside)
    with pytest.raises(UnsafePathError, match="leads out of the run folder"):
        default_output(run, "grid_seed0.png")
    assert default_output(tmp_path / "model.safetensors", "x.png") == Path("generated/x.png")
