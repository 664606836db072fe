"""``ganforge sample --grid-layout``: the training's final-figure layouts from a saved run."""

import pytest
import torch
from PIL import Image
from tests.tiny_runs import random_data

from ganforge.engine.trainer import FIXED_SEED_OFFSET, train
from ganforge.setup.build import make_config

SMALL_NETS = {
    "gan": {"latent_dim": 8, "g_hidden": [16], "d_hidden": [16]},
    "acgan": {"latent_dim": 8, "g_channels": 8, "d_channels": 8},
}
LAYOUTS = {"gan": "8x8", "acgan": "classes-5x6"}  # the final figure each run draws


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """A one-step run of a small gan (unconditional) and a small acgan (conditional)."""
    data = random_data("tiny-random-cli0")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets on a shared 2-core machine
    try:
        out = {}
        for recipe, nets in SMALL_NETS.items():
            train_cfg = {"steps": 1, "batch_size": 32, "log_every": 1, "seed": 2}
            train_cfg["grid_layout"] = LAYOUTS[recipe]
            cfg = make_config(recipe, overrides={"train": train_cfg, "model": nets})
            out[recipe] = tmp_path_factory.mktemp(recipe)
            train(cfg, out[recipe], data=data, display=False)
        return out
    finally:
        torch.set_num_threads(threads)


def size(path):
    with Image.open(path) as im:
        return im.size


def test_a_layout_is_drawn_the_same_for_the_same_seed(runs, run_cli, tmp_path):
    first, again = tmp_path / "a.png", tmp_path / "b.png"
    for grid in (first, again):
        code, err = run_cli("sample", str(runs["gan"]), "--grid-layout", "2x5", "--grid", str(grid))
        assert code == 0 and f"wrote {grid}" in err
    assert size(first) == (5 * 30 + 2, 2 * 30 + 2)
    assert first.read_bytes() == again.read_bytes()


def test_a_long_output_path_is_printed_on_one_line(runs, run_cli, tmp_path):
    """Off a terminal rich would wrap at 80 columns and break the path a script greps for;
    brackets in a path are not markup either."""
    grid = tmp_path / ("a_folder_name_long_enough_to_pass_eighty_columns_" * 2) / "[x]grid.png"
    code, err = run_cli("sample", str(runs["gan"]), "--grid", str(grid))
    assert code == 0 and f"wrote {grid}\n" in err


def test_per_class_writes_a_page_per_class_beside_the_grid_path(runs, run_cli, tmp_path):
    code, _ = run_cli(
        "sample",
        str(runs["acgan"]),
        "--grid-layout",
        "per-class",
        "--grid",
        str(tmp_path / "c.png"),
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"c_class_{k}.png" for k in range(10)
    )
    width, height = size(tmp_path / "c_class_7.png")
    assert width == 8 * 30 + 2 and height > 8 * 30 + 2  # a title strip on top


def test_default_path_names_the_layout_and_seed(runs, run_cli):
    code, _ = run_cli("sample", str(runs["acgan"]), "--grid-layout", "classes-5x6", "--seed", "3")
    assert code == 0
    width, height = size(runs["acgan"] / "generated" / "classes-5x6_seed3.png")
    assert height == 5 * 30 + 2 and width > 6 * 30 + 2  # the classes named beside the rows


def test_a_conditional_grid_names_its_columns_or_its_one_class(runs, run_cli, tmp_path):
    every, seven = tmp_path / "every.png", tmp_path / "seven.png"
    assert run_cli("sample", str(runs["acgan"]), "--n", "20", "--grid", str(every))[0] == 0
    assert run_cli("sample", str(runs["acgan"]), "--class", "7", "--grid", str(seven))[0] == 0
    with Image.open(every) as grid:  # a column per class, its digit over it
        strip = grid.height - (2 * 30 + 2)
        assert grid.width == 10 * 30 + 2 and strip > 0
        assert grid.crop((0, 0, grid.width, strip)).getextrema()[1] > 200
    with Image.open(seven) as grid:  # 64 of class 7 under the title "7"
        assert grid.width == 8 * 30 + 2 and grid.height > 8 * 30 + 2


def test_the_trainings_seed_redraws_its_final_figure(runs, run_cli, tmp_path):
    grid, seed = tmp_path / "again.png", 2 + FIXED_SEED_OFFSET
    args = ("--grid-layout", "classes-5x6", "--seed", str(seed), "--grid", str(grid))
    assert run_cli("sample", str(runs["acgan"]), *args)[0] == 0
    assert grid.read_bytes() == (runs["acgan"] / "samples" / "final.png").read_bytes()


@pytest.mark.parametrize(
    ("recipe", "args", "message"),
    [
        (
            "gan",
            [],
            "grid layout 'per-class' needs a conditional recipe (acgan, acgan-classic, "
            "acgan-mult); gan is uncond",
        ),
        ("acgan", ["--n", "9"], "--grid-layout chooses the images itself"),
        ("acgan", ["--class", "2"], "not --n, --class, --out or --npy"),
    ],
)
def test_bad_combinations_are_one_line_errors(runs, run_cli, tmp_path, recipe, args, message):
    grid = tmp_path / "x.png"
    code, err = run_cli(
        "sample", str(runs[recipe]), "--grid-layout", "per-class", "--grid", str(grid), *args
    )
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())
