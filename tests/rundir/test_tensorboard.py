"""TensorBoardLogger writes an events file that TensorBoard can read back."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganforge.figures.images import save_grid
from ganforge.rundir.tensorboard import TensorBoardLogger

# The tensorboard extra (`pip install 'ganforge[tensorboard]'`; the dev extra has it).
needs_tensorboard = pytest.mark.skipif(
    importlib.util.find_spec("tensorboard") is None, reason="the tensorboard extra"
)


@needs_tensorboard
def test_writes_events_with_scalars_and_images(tmp_path: Path) -> None:
    grid = save_grid(torch.zeros(4, 1, 28, 28), tmp_path / "grid.png", nrow=2)
    log_dir = tmp_path / "tb"
    with TensorBoardLogger(log_dir) as tb:
        tb.scalars(1, {"d_loss": 0.7, "g_loss": 0.69}, prefix="train")
        tb.scalars(2, {"fid": 12.5})
        tb.image("samples", grid, step=1)
        tb.image("raw", torch.zeros(1, 8, 8, dtype=torch.uint8), step=1)
        tb.image("raw_hw", torch.zeros(8, 8, dtype=torch.uint8), step=2)
    events = list(log_dir.glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 0

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"train/d_loss", "train/g_loss", "fid"}
    assert set(tags["images"]) == {"samples", "raw", "raw_hw"}
    (event,) = acc.Scalars("train/d_loss")
    assert event.step == 1 and event.value == pytest.approx(0.7)
    (img,) = acc.Images("samples")
    assert (img.width, img.height) == (62, 62)  # 2 cells × 30 + 2


@needs_tensorboard
def test_float_image_tensor_is_refused(tmp_path: Path) -> None:
    with TensorBoardLogger(tmp_path) as tb, pytest.raises(TypeError, match="uint8"):
        tb.image("x", torch.zeros(1, 8, 8), step=0)


def test_import_of_figures_and_tensorboard_is_lazy() -> None:
    code = (
        "import sys, ganforge.figures, ganforge.rundir.tensorboard; "
        "print(sorted(m for m in ('tensorboard', 'torch.utils.tensorboard', 'matplotlib', "
        "'torchvision') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
