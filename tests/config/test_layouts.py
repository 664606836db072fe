"""Final-figure layouts: sample counts, labels, columns, titles and file suffixes."""

import pytest

from ganforge.config.layouts import CLASS_LAYOUTS, GRID_LAYOUTS, plan_layout

DIGITS = tuple(str(d) for d in range(10))
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat")


@pytest.mark.parametrize(
    ("name", "cells", "columns"),
    [("8x8", 64, 8), ("2x5", 10, 5), ("5x5", 25, 5), ("10x10", 100, 10)],
)
def test_rows_by_columns_layouts_have_one_latent_per_cell(name, cells, columns):
    layout = plan_layout(name, None)
    (page,) = layout.pages
    assert layout.num_latents == cells
    assert page.latents == tuple(range(cells)) and page.columns == columns
    assert page.labels is None and page.title is None and page.suffix == ""


def test_a_conditional_recipe_draws_classes_in_reading_order():
    (page,) = plan_layout("2x5", DIGITS).pages
    assert page.labels == tuple(range(10))  # one digit per cell, 0 to 9
    (page,) = plan_layout("10x10", DIGITS).pages
    assert page.labels[:12] == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1)  # a column is a class


def test_classes_5x6_shows_three_of_each_class_in_class_order_two_classes_a_row():
    layout = plan_layout("classes-5x6", DIGITS)
    (page,) = layout.pages
    assert page.columns == 6 and len(page.labels) == 30  # 5 rows of 6
    assert page.labels[:6] == (0, 0, 0, 1, 1, 1) and page.labels[-3:] == (9, 9, 9)
    # The same three latents for every class: a column keeps its "style".
    assert layout.num_latents == 3 and page.latents[:9] == (0, 1, 2) * 3


def test_per_class_is_one_titled_page_per_class_with_shared_latents():
    layout = plan_layout("per-class", FASHION)
    assert [p.title for p in layout.pages] == list(FASHION)
    assert [p.suffix for p in layout.pages] == [f"_class_{k}" for k in range(5)]
    dress = layout.pages[3]
    assert dress.labels == (3,) * 64 and dress.columns == 8
    assert all(p.latents == tuple(range(64)) for p in layout.pages)


@pytest.mark.parametrize("name", CLASS_LAYOUTS)
def test_class_layouts_need_class_names(name):
    with pytest.raises(ValueError, match="needs class names"):
        plan_layout(name, None)


def test_unknown_layout_names_the_choices():
    with pytest.raises(ValueError, match="one of 8x8, 2x5, 5x5, 10x10, classes-5x6, per-class"):
        plan_layout("3x3", None)
    assert set(CLASS_LAYOUTS) < set(GRID_LAYOUTS)
