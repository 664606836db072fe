"""The ablation figure: grids side by side under their titles, read back with Pillow."""

from pathlib import Path

import pytest
import torch
from PIL import Image

from ganforge.figures.images import save_grid
from ganforge.reporting.ablation_figure import PANEL_GAP, save_ablation_figure


def test_panels_side_by_side_with_titles(tmp_path: Path) -> None:
    grids = [
        save_grid(torch.full((64, 1, 28, 28), v), tmp_path / f"g{i}.png", nrow=8)
        for i, v in enumerate((-1.0, 1.0, 0.0))
    ]
    titles = [["1. [-1,1] + tanh", "FID 12.34 ± 0.56"], ["2. + dropout", "FID 9.00"], ["3.", ""]]
    path = save_ablation_figure(list(zip(grids, titles, strict=True)), tmp_path / "fig.png")
    with Image.open(path) as figure:
        assert figure.mode == "L"
        assert figure.width == 3 * 242 + 2 * PANEL_GAP
        assert figure.height > 242 + 20  # two title lines above each 242-pixel grid
        y = figure.height - 242 + 135  # inside the fifth row of cells (the grids are at the bottom)
        assert figure.getpixel((135, y)) == 0  # a black grid (−1)
        assert figure.getpixel((242 + PANEL_GAP + 135, y)) == 255  # a white one
        assert figure.getpixel((242 + PANEL_GAP // 2, y)) == 0  # the gap


def test_a_title_wider_than_its_grid_widens_every_panel(tmp_path: Path) -> None:
    grid = save_grid(torch.zeros(1, 1, 28, 28), tmp_path / "g.png", nrow=1)  # 32 pixels wide
    path = save_ablation_figure([(grid, ["a long rung name"]), (grid, ["x"])], tmp_path / "f.png")
    with Image.open(path) as figure:
        assert figure.width > 2 * 32 + PANEL_GAP and (figure.width - PANEL_GAP) % 2 == 0
    with pytest.raises(ValueError, match="at least one panel"):
        save_ablation_figure([], tmp_path / "none.png")
