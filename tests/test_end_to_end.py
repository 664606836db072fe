"""Every default recipe trains on real MNIST, and training demonstrably learns."""

import math

import pytest
import torch

from ganforge.engine.trainer import train
from ganforge.generation import load_model
from ganforge.models import RECIPES
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import build_recipe, make_config

pytestmark = [pytest.mark.mnist, pytest.mark.slow]
# ganforge's tuned recipes; every classic preset trains a few steps in tests/models/presets/
DEFAULT_RECIPES = ["gan", "dcgan", "improved-dcgan", "wgan-gp", "acgan", "allconv"]


def test_the_default_recipes_are_all_registered():
    assert set(DEFAULT_RECIPES) <= set(RECIPES)


@pytest.mark.parametrize("recipe", DEFAULT_RECIPES)
def test_recipe_trains_a_hundred_steps(tmp_path, mnist_train, recipe):
    # 100 D updates each (recipes with k D steps per G step take 100 // k steps), in batches of 8:
    # the recipe's own nets, at the smallest batch any default recipe trains with.
    steps = 100 // make_config(recipe).model.d_steps
    cfg = make_config(recipe, overrides={"train": {"steps": steps, "batch_size": 8}})
    run = tmp_path / recipe
    result = train(cfg, run, data=mnist_train, display=False)
    assert result.step == steps
    rows = read_csv_rows(run / "metrics" / "batches.csv")
    assert len(rows) == steps
    assert all(math.isfinite(v) for r in rows for v in r.values())
    for path in (
        "progress.gif",
        "summary.json",
        "checkpoints/last.safetensors",
        "plots/loss_per_batch.png",
        "samples/epoch_0000.png",
    ):
        assert (run / path).stat().st_size > 0, path
    model = load_model(run)
    z = model.latents(0, 16)
    labels = torch.arange(16) % 10 if model.conditional else None
    with torch.no_grad():
        images = model.transform.to_uint8(model.generate(z, labels))
    assert images.shape == (16, 28, 28)
    assert images.float().std() > 10  # not a constant image


def image_statistics(u8: torch.Tensor) -> dict[str, float]:
    """Mean intensity, fraction of ink pixels, and mean per-pixel variance, in [0, 1] units."""
    x = u8.float() / 255
    return {
        "mean": x.mean().item(),
        "ink": (x > 0.5).float().mean().item(),
        "pixel_var": x.var(dim=0).mean().item(),
    }


def test_dcgan_learns_the_statistics_of_digits(tmp_path, mnist_train):
    """After 160 steps (half an epoch of the 10k subset), samples' ink statistics are near
    the data's and far from the untrained generator's (measured: data mean 0.131, ink 0.132,
    pixel variance 0.067; untrained 0.50, 0.58, 0.000; dcgan after 160 steps 0.160, 0.128,
    0.049, after 100 0.195, 0.127, 0.038, after the whole epoch 0.14, 0.13, 0.065)."""
    cfg = make_config("dcgan", overrides={"train": {"epochs": 1, "steps": 160}})
    data = image_statistics(mnist_train.images[:2000])

    torch.manual_seed(cfg.train.seed)
    untrained_recipe = build_recipe(cfg, 10)
    run = tmp_path / "dcgan"
    train(cfg, run, data=mnist_train, display=False)
    model = load_model(run)

    def sample_stats(recipe, transform):
        z = recipe.sample_latent(2000, generator=torch.Generator().manual_seed(1))
        return image_statistics(transform.to_uint8(recipe.sample_images(z)))

    before = sample_stats(untrained_recipe, model.transform)
    after = sample_stats(model.recipe, model.transform)

    assert abs(after["mean"] - data["mean"]) < 0.06
    assert abs(after["ink"] - data["ink"]) < 0.04
    assert after["pixel_var"] > 0.5 * data["pixel_var"]
    # ... and the untrained generator is far from all three.
    assert abs(before["mean"] - data["mean"]) > 0.2
    assert abs(before["ink"] - data["ink"]) > 0.2
    assert before["pixel_var"] < 0.1 * data["pixel_var"]
