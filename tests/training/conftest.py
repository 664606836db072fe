"""Fixtures for trainer tests that need no real dataset: tiny random images, tiny networks."""

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from ganforge.config import RunConfig
from ganforge.data import ImageData
from ganforge.training.setup import make_config
from ganforge.training.trainer import Trainer


@pytest.fixture(scope="session")
def tiny_data() -> ImageData:
    """128 random 28×28 images in 10 classes: 4 batches of 32, so an epoch is 4 steps."""
    g = torch.Generator().manual_seed(0)
    return ImageData(
        images=torch.randint(0, 256, (128, 28, 28), dtype=torch.uint8, generator=g),
        labels=torch.arange(128) % 10,
        class_names=tuple(str(c) for c in range(10)),
        source="random test images",
        fingerprint="tiny-random-0000",
    )


@pytest.fixture
def tiny_config(one_thread) -> Callable[..., RunConfig]:
    """``tiny_config(model=None, **train)``: the ``gan`` recipe with small dense nets (a step
    takes about a millisecond), batch 32, a log line per step, grids only at the start and the
    end, G at 2e-4 and D at 4e-4 (fixed here: the rollback tests check them halved); ``model``
    adds model settings."""

    def make(model: dict[str, object] | None = None, **train: object) -> RunConfig:
        settings = {"batch_size": 32, "log_every": 1, "epochs": 3, "sample_every": 100, **train}
        nets = {"latent_dim": 8, "g_hidden": [32], "d_hidden": [32], "lr_g": 2e-4, "lr_d": 4e-4}
        nets.update(model or {})
        return make_config("gan", overrides={"train": settings, "model": nets})

    return make


@pytest.fixture
def trainers(monkeypatch) -> list[tuple[Path, bool]]:
    """Every Trainer made from now on, as (run directory, whether it resumes); their progress
    is shown as plain lines."""
    made = []
    init = Trainer.__init__

    def spy(self, cfg, run_dir, data=None, data_dir=None, resume=False, display=None, **more):
        made.append((Path(run_dir), resume))
        init(self, cfg, run_dir, data, data_dir, resume, False, **more)

    monkeypatch.setattr(Trainer, "__init__", spy)
    return made
