"""ADA's state in a checkpoint (the ``augment`` module: p, the last r_t, the interval's sums):
saved, restored, and a hostile value refused in one line before anything is loaded."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from ganforge.errors import CheckpointError
from ganforge.rundir.atomic import read_safetensors
from ganforge.rundir.checkpoint import load_checkpoint, recipe_modules, restore, save_checkpoint
from ganforge.setup.build import build_recipe, make_config

MODEL = {"g_channels": 8, "d_channels": 8, "augment": "ada"}


def ada_recipe():
    return build_recipe(make_config("dcgan", overrides={"model": MODEL}), 10, "cpu")


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    recipe = ada_recipe()
    ada = recipe.augmentation.ada
    ada.p, ada.r_t = torch.tensor(0.375), torch.tensor(0.5)
    ada.acc = torch.tensor([3.0, 5.0])
    meta = {"recipe": "dcgan", "step": 3, "config": {"model": MODEL}, "num_classes": 10}
    path = tmp_path / "last.safetensors"
    return save_checkpoint(path, modules=recipe_modules(recipe), optimizers={}, meta=meta)


def test_ada_state_is_saved_beside_d_and_restored(saved) -> None:
    ckpt = load_checkpoint(saved)
    assert ckpt.module_state("augment").keys() == {"p", "r_t", "acc"}
    fresh = ada_recipe()
    assert "augment" not in recipe_modules(fresh, "sample")  # sampling needs no D and no ADA
    restore(ckpt, modules=recipe_modules(fresh), rng=False)
    ada = fresh.augmentation.ada
    assert (ada.p.item(), ada.r_t.item(), ada.acc.tolist()) == (0.375, 0.5, [3.0, 5.0])
    plain_cfg = make_config("dcgan", overrides={"model": {**MODEL, "augment": "none"}})
    plain = build_recipe(plain_cfg, 10, "cpu")
    assert "augment" not in recipe_modules(plain)
    # D's state dict is the same with augmentation and without.
    assert ckpt.module_state("discriminator").keys() == plain.discriminator.state_dict().keys()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (torch.tensor(float("nan")), "augment.p holds NaN or infinity"),
        (torch.tensor(7.0), "augment.p must be in 0..1, got [7.0]"),
        (torch.tensor(-0.5), "augment.p must be in 0..1"),
        (torch.tensor(list(b"0.5"), dtype=torch.uint8), "augment.p is uint8 (3,)"),
        (torch.zeros(2), "augment.p is float32 (2,), expected float32 ()"),
    ],
    ids=["nan", "seven", "negative", "text-bytes", "shape"],
)
def test_a_hostile_p_is_refused_in_one_line(saved, tmp_path, value, message) -> None:
    tensors, meta = read_safetensors(saved, "checkpoint")
    tensors["augment.p"] = value
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), {"ganforge": json.dumps(meta)})
    fresh = ada_recipe()
    with pytest.raises(CheckpointError) as err:
        restore(load_checkpoint(bad), modules=recipe_modules(fresh), rng=False)
    text = str(err.value)
    assert len(text.splitlines()) == 1 and str(bad) in text and message in text
    assert fresh.augmentation.ada.p.item() == 0.0  # nothing was loaded
