"""FID curves from a run's checkpoints: which checkpoints, the rows, and their reuse."""

from pathlib import Path

import pytest
import torch

from ganforge.engine.trainer import Trainer
from ganforge.errors import ConfigError
from ganforge.evaluation.evaluate import RealReference
from ganforge.experiments.fid_curve import (
    MAX_POINTS,
    check_curve_samples,
    curve_checkpoints,
    measure_curve,
    recorded_curve,
)


class FakeEvaluator:
    """Features: the images' mean brightness per row (28 numbers); no network."""

    def embed(self, images):
        features = images.float().mean(dim=2) / 255
        return features, torch.zeros(images.shape[0], 10)


def test_a_curve_point_per_epoch_checkpoint_then_reused(tmp_path, tiny_data, tiny_config):
    run = tmp_path / "run"
    Trainer(tiny_config(epochs=3), run, data=tiny_data).run()  # 4 steps an epoch
    real = FakeEvaluator().embed(tiny_data.images)[0]
    reference = RealReference(real, torch.zeros(len(real), 10), tiny_data.labels, 10)
    rows = measure_curve(run, 100, reference, FakeEvaluator())
    # epochs 1-3; the last checkpoint is epoch 3's step: measured once
    assert [(r["epoch"], r["step"], r["n"]) for r in rows] == [
        (1, 4, 100),
        (2, 8, 100),
        (3, 12, 100),
    ]
    assert all(r["fid"] > 0 for r in rows) and rows[0]["time"] <= rows[-1]["time"]
    recorded = recorded_curve(run, 100, 12)
    assert [r["fid"] for r in recorded] == pytest.approx([r["fid"] for r in rows])
    assert recorded_curve(run, 200, 12) is None  # another n
    assert recorded_curve(run, 100, 16) is None  # the run has trained on since


def test_curve_checkpoints_are_spread_and_end_at_the_last(tmp_path: Path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for epoch in range(1, 51):
        (folder / f"epoch_{epoch:04d}.safetensors").write_bytes(b"")
    chosen = curve_checkpoints(tmp_path)
    assert len(chosen) == MAX_POINTS + 1 and chosen[-1].name == "last.safetensors"
    assert chosen[-2].name == "epoch_0050.safetensors" and chosen[0].name < chosen[1].name
    check_curve_samples(0)
    check_curve_samples(100)
    with pytest.raises(ConfigError, match="--curve-samples must be 0"):
        check_curve_samples(99)
