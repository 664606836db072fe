"""``ganforge sample`` and ``ganforge interpolate`` with ``--class NAME``: on a run trained on
real MNIST digits as class folders named by words (its data removed after training: the
checkpoint is all they need), and on Fashion-MNIST's names."""

import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from tests.digit_folders import WORDS

from ganforge.data import DATASETS, ImageData
from ganforge.engine.trainer import train
from ganforge.setup.build import make_config

NETS = {"latent_dim": 8, "g_channels": 8, "d_channels": 8}
STEPS = {"steps": 2, "batch_size": 32, "log_every": 1, "sample_every": 0}
NAMES = tuple(sorted(WORDS))  # the class folders' sorted names: eight, five, four, nine, ...


@pytest.fixture(scope="module")
def runs(digits, tmp_path_factory) -> dict:
    """A tiny acgan run on a copy of the digits' class folders, the copy removed after; and
    one on random images under Fashion-MNIST's class names."""
    root = tmp_path_factory.mktemp("generate-data")
    copy = shutil.copytree(digits["root"] / "classes", root / "digits")
    g = torch.Generator().manual_seed(0)
    fashion = ImageData(
        images=torch.randint(0, 256, (64, 28, 28), dtype=torch.uint8, generator=g),
        labels=torch.arange(64) % 10,
        class_names=DATASETS["fashion-mnist"].class_names,
        source="random test images",
        fingerprint="tiny-random-fash",
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets on a shared 2-core machine
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GANFORGE_HOME", str(root / "home"))  # the decoded folder's cache
            overrides = {"data": str(copy), "model": NETS, "train": STEPS}
            train(make_config("acgan", overrides=overrides), root / "own", display=False)
        overrides = {"dataset": "fashion", "model": NETS, "train": STEPS}
        cfg = make_config("acgan", overrides=overrides)
        train(cfg, root / "fashion", data=fashion, display=False)
    finally:
        torch.set_num_threads(threads)
    shutil.rmtree(copy)
    return {"own": root / "own", "fashion": root / "fashion"}


def labels_of(npy) -> list[int]:
    return np.load(npy.with_name(npy.stem + "_labels.npy")).tolist()


@pytest.mark.parametrize(
    ("run", "given", "index"),
    [
        ("own", "eight", 0),
        ("own", "Seven", NAMES.index("seven")),  # any case, when only one class matches
        ("own", "3", 3),  # an index
        ("fashion", "Bag", 8),
        ("fashion", "ankle boot", 9),
        ("fashion", "T-shirt/top", 0),
    ],
)
def test_sample_draws_a_class_given_by_name_without_the_data(
    runs, run_cli, tmp_path, run, given, index
) -> None:
    npy = tmp_path / "s.npy"
    code, err = run_cli("sample", str(runs[run]), "--class", given, "--n", "4", "--npy", str(npy))
    assert code == 0, err
    assert labels_of(npy) == [index] * 4


def test_a_grid_of_one_named_class_is_titled_with_its_name(runs, run_cli, tmp_path) -> None:
    by_name, by_index = tmp_path / "a.png", tmp_path / "b.png"
    for grid, given in ((by_name, "nine"), (by_index, str(NAMES.index("nine")))):
        code, err = run_cli("sample", str(runs["own"]), "--class", given, "--grid", str(grid))
        assert code == 0, err
    assert by_name.read_bytes() == by_index.read_bytes()
    with Image.open(by_name) as grid:  # 64 of one class under its name
        assert grid.width == 8 * 30 + 2 and grid.height > 8 * 30 + 2


def test_interpolate_holds_a_class_given_by_name(runs, run_cli, tmp_path) -> None:
    walks = {}
    for given in ("six", str(NAMES.index("six")), "two"):
        out = tmp_path / f"{given}.png"
        args = ("--class", given, "--steps", "3", "--out", str(out))
        code, err = run_cli("interpolate", str(runs["own"]), *args)
        assert code == 0, err
        walks[given] = out.read_bytes()
    assert walks["six"] == walks[str(NAMES.index("six"))] != walks["two"]


@pytest.mark.parametrize(
    ("command", "given"),
    [("sample", "ten"), ("sample", "10"), ("interpolate", "Ten"), ("sample", "-1")],
)
def test_a_class_the_run_has_not_is_one_line_listing_its_names(
    runs, run_cli, tmp_path, command, given
) -> None:
    code, err = run_cli(command, str(runs["own"]), "--class", given, "--out", str(tmp_path / "x"))
    assert code == 2
    assert err.strip() == (
        f"error: --class must be in 0..9 or a class name ({', '.join(NAMES)}), got {given!r}"
    )
    assert not list(tmp_path.iterdir())
