"""Class names on conditional grids: placed where each class sits (rows, halves of rows,
columns, the whole grid), drawn beside the grid without touching its pixels; an
unconditional grid is left pixel for pixel as it was."""

import pytest
import torch
from PIL import Image

from ganforge.figures.images import GRID_PADDING, _grid_array, grid_image, save_grid
from ganforge.figures.labels import GridLabels, class_labels, draw_labels, label_size
from ganforge.figures.text import text_image

DIGITS = tuple(str(c) for c in range(10))
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")  # fmt: skip


def images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize(
    ("labels", "columns", "expected"),
    [
        # the training grid: a row of 8 per class
        (torch.arange(3).repeat_interleave(8), 8, GridLabels(left=("0", "1", "2"))),
        # classes-5x6: three of a class, two classes a row
        ([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], 6, GridLabels(left=("0", "2"), right=("1", "3"))),
        # ... of an odd number of classes (EMNIST balanced: 47): the last row holds one
        ([0, 0, 0, 1, 1, 1, 2, 2, 2], 6, GridLabels(left=("0", "2"), right=("1",))),
        ([0, 0, 0, 1, 1, 2, 2, 2, 2], 6, GridLabels()),  # a half row mixing classes: none
        # ganforge sample and the studio: a column per class, the last row short
        ([k % 10 for k in range(24)], 10, GridLabels(top=DIGITS)),
        ([7] * 12, 4, GridLabels(title="7")),  # one class: a title
        ([k % 10 for k in range(64)], 8, GridLabels()),  # rows and columns mix classes
    ],
)
def test_names_go_where_the_classes_are(labels, columns, expected):
    assert class_labels(labels, columns, DIGITS) == expected


def test_an_unconditional_grid_is_unchanged_pixel_for_pixel(tmp_path):
    x = images(64)
    plain = _grid_array(x, 8, (-1.0, 1.0))  # the grid as it always was
    assert grid_image(x, 8).tobytes() == Image.fromarray(plain).tobytes()
    assert grid_image(x, 8, labels=torch.arange(64) % 10).tobytes() == plain.tobytes()
    with Image.open(save_grid(x, tmp_path / "g.png", 8)) as png:
        assert png.tobytes() == plain.tobytes()


def test_a_grid_whose_rows_and_columns_mix_classes_gets_no_names():
    x, labels = images(64), torch.arange(64) % 10
    assert grid_image(x, 8, labels=labels, class_names=DIGITS).tobytes() == (
        grid_image(x, 8).tobytes()
    )


def test_each_row_is_named_on_its_left_and_the_grid_is_pasted_untouched():
    x, labels = images(30), torch.arange(10).repeat_interleave(3)
    plain = grid_image(x, 3)
    named = grid_image(x, 3, labels=labels, class_names=FASHION)
    strip = named.width - plain.width
    widest = max(text_image(n, size=label_size(28)).width for n in FASHION)
    assert named.height == plain.height and strip == widest + 8
    assert named.crop((strip, 0, named.width, named.height)).tobytes() == plain.tobytes()
    for row, name in enumerate(FASHION):  # each name right-aligned beside its row's middle
        word = text_image(name, size=label_size(28))
        y = GRID_PADDING + row * 30 + 14 - word.height // 2
        box = (strip - 4 - word.width, y, strip - 4, y + word.height)
        assert named.crop(box).tobytes() == word.tobytes(), name


def test_names_wider_than_a_column_stand_upright_over_it():
    x, labels = images(20), torch.arange(20) % 10
    plain = grid_image(x, 10)
    digits = grid_image(x, 10, labels=labels, class_names=DIGITS)
    fashion = grid_image(x, 10, labels=labels, class_names=FASHION)
    assert digits.width == fashion.width == plain.width
    digit_h = max(text_image(d, size=label_size(28)).height for d in DIGITS) + 8
    assert digits.height == plain.height + digit_h  # digits fit across a column
    upright = max(text_image(n, size=label_size(28)).width for n in FASHION) + 8
    assert fashion.height == plain.height + upright  # names turned 90°
    assert fashion.crop((0, upright, fashion.width, fashion.height)).tobytes() == plain.tobytes()


def test_one_class_is_a_title_and_a_given_title_wins():
    x = images(12)
    titled = grid_image(x, 4, labels=[3] * 12, class_names=FASHION)
    assert titled.width == grid_image(x, 4).width and titled.height > grid_image(x, 4).height
    assert titled.tobytes() == grid_image(x, 4, title="Dress").tobytes()
    given = grid_image(x, 4, title="page 3", labels=[3] * 12, class_names=FASHION)
    assert given.tobytes() == grid_image(x, 4, title="page 3").tobytes()


def test_colour_grids_are_named_in_colour_mode():
    grid = Image.new("RGB", (3 * 30 + 2, 2 * 30 + 2), (128, 128, 128))
    named = draw_labels(grid, GridLabels(left=("a", "b")), (28, 28), GRID_PADDING)
    assert named.mode == "RGB" and named.height == grid.height and named.width > grid.width
