"""Grids, strips and GIFs written to real files and read back with Pillow."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.figures.images import (
    GRID_PAD_VALUE,
    _label_from_stem,
    save_gif,
    save_grid,
    save_strip,
    to_uint8,
)


def test_to_uint8_maps_range_ends_clamps_and_rounds() -> None:
    x = torch.tensor([-1.0, 0.0, 1.0, -2.0, 2.0, float("nan"), 0.5 / 127.5 - 1.0])
    # 0 → 127.5 rounds half-to-even → 128; the last value is exactly 0.5 → rounds to 0.
    assert to_uint8(x, (-1.0, 1.0)).tolist() == [0, 128, 255, 0, 255, 0, 0]
    assert to_uint8(torch.tensor([0.0, 1.0, 0.2]), (0.0, 1.0)).tolist() == [0, 255, 51]
    assert to_uint8(torch.zeros(2, 1, 3, 3), (-1.0, 1.0)).dtype == torch.uint8


def test_to_uint8_rejects_empty_range() -> None:
    with pytest.raises(ValueError, match="data_range"):
        to_uint8(torch.zeros(1), (1.0, 1.0))


def test_grid_of_64_mnist_images_is_242_square_with_mapped_values(tmp_path: Path) -> None:
    images = -torch.ones(64, 1, 28, 28)
    images[1] = 1.0  # second cell white
    out = save_grid(images, tmp_path / "sub" / "grid.png", nrow=8)
    assert out == tmp_path / "sub" / "grid.png"
    with Image.open(out) as im:
        assert im.size == (8 * 30 + 2, 8 * 30 + 2) == (242, 242)
        assert im.mode == "L"
        px = np.asarray(im)
    assert px[0, 0] == GRID_PAD_VALUE  # padding
    assert px[2, 2] == 0  # first cell, -1 → 0
    assert px[2, 2 + 30] == 255  # second cell, 1 → 255
    assert px[2 : 2 + 28, 2 : 2 + 28].max() == 0
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["grid.png"], "no temp file left"


@pytest.mark.parametrize(
    ("n", "nrow", "size"),
    [(10, 8, (226, 58)), (1, 8, (30, 30)), (3, 1, (30, 86))],
)
def test_grid_geometry(tmp_path: Path, n: int, nrow: int, size: tuple[int, int]) -> None:
    # ceil(n / nrow) rows of min(n, nrow) cells, each 26 + 2 padding, plus a 2-pixel border.
    out = save_grid(torch.zeros(n, 1, 26, 26), tmp_path / "g.png", nrow=nrow)
    with Image.open(out) as im:
        assert im.size == size


def test_rgb_grid(tmp_path: Path) -> None:
    images = torch.zeros(4, 3, 8, 8)
    images[:, 0] = 1.0  # red
    out = save_grid(images, tmp_path / "rgb.png", nrow=2, data_range=(0.0, 1.0))
    with Image.open(out) as im:
        assert im.mode == "RGB" and im.size == (22, 22)
        assert im.getpixel((3, 3)) == (255, 0, 0)


def test_title_adds_height_and_text(tmp_path: Path) -> None:
    images = torch.zeros(16, 1, 28, 28)
    plain = save_grid(images, tmp_path / "plain.png", nrow=4)
    titled = save_grid(images, tmp_path / "titled.png", nrow=4, title="epoch 3")
    with Image.open(plain) as a, Image.open(titled) as b:
        assert b.width == a.width
        extra = b.height - a.height
        assert extra > 5
        strip = np.asarray(b)[:extra]
        grid = np.asarray(b)[extra:]
        assert np.array_equal(grid, np.asarray(a))
    assert strip.max() > 128, "title text is drawn in white"


def test_grid_rejects_bad_shapes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="N×C×H×W"):
        save_grid(torch.zeros(2, 28, 28), tmp_path / "x.png", nrow=2)
    with pytest.raises(ValueError, match="N×C×H×W"):
        save_grid(torch.zeros(2, 2, 28, 28), tmp_path / "x.png", nrow=2)
    assert not (tmp_path / "x.png").exists()


def test_strip_is_one_row(tmp_path: Path) -> None:
    out = save_strip(
        torch.linspace(-1, 1, 5).view(5, 1, 1, 1).expand(5, 1, 28, 28), tmp_path / "s.png"
    )
    with Image.open(out) as im:
        assert im.size == (5 * 30 + 2, 32)
        row = np.asarray(im)[10, [2 + 30 * i for i in range(5)]]
    assert row.tolist() == [0, 64, 128, 191, 255]


def _frames(tmp_path: Path) -> list[Path]:
    # Three epochs with growing grids, so sizes differ and content changes.
    return [
        save_grid(torch.full((n, 1, 28, 28), v), tmp_path / f"epoch_{e:03d}.png", nrow=4)
        for e, n, v in [(1, 4, -1.0), (2, 8, 0.0), (3, 16, 1.0)]
    ]


def test_gif_has_all_frames_loops_and_holds_last(tmp_path: Path) -> None:
    frames = _frames(tmp_path)
    out = save_gif(frames, tmp_path / "progress.gif", duration_ms=300, final_hold_ms=1200)
    with Image.open(out) as im:
        assert im.n_frames == 3
        assert im.info["loop"] == 0
        sizes, durations = set(), []
        for i in range(im.n_frames):
            im.seek(i)
            sizes.add(im.size)
            durations.append(im.info["duration"])
    assert durations == [300, 300, 1200]
    # Largest frame is 4×4 cells = 122 px square; the label strip adds height only.
    (size,) = sizes
    assert size[0] == 122 and size[1] > 122


def test_gif_without_labels_pads_to_largest(tmp_path: Path) -> None:
    out = save_gif(_frames(tmp_path), tmp_path / "p.gif", label=False)
    with Image.open(out) as im:
        assert im.size == (122, 122)
        assert im.n_frames == 3


def test_gif_rejects_no_frames(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="frame"):
        save_gif([], tmp_path / "p.gif")


@pytest.mark.parametrize(
    ("stem", "label"),
    [
        ("epoch_003", "epoch 3"),
        ("epoch-0010", "epoch 10"),
        ("epoch_000", "epoch 0"),
        ("final", "final"),
    ],
)
def test_frame_label_from_stem(stem: str, label: str) -> None:
    assert _label_from_stem(stem) == label
