"""``ganforge train --dataset kmnist|emnist-letters|emnist-balanced --data-dir DIR`` end to end
on small synthetic files of each one's shape: the run records the dataset, and a conditional
recipe builds with the dataset's number of classes and names."""

import json
import string
from pathlib import Path

import numpy as np
import pytest
import yaml

from ganforge.data import DATASETS, write_idx
from ganforge.generation import load_model
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.rundir.layout import RunLayout

FAST = ("--steps", "2", "--batch-size", "16", "--plain")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A fresh ganforge home, no dataset folder from the environment."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    for spec in DATASETS.values():
        monkeypatch.delenv(spec.env_var, raising=False)
    return tmp_path / "home"


def write_dataset(folder: Path, name: str, n: int) -> None:
    """``n`` random images for the train split of ``name``, labels cycling through its
    classes as its files number them, under its published file names."""
    spec = DATASETS[name]
    folder.mkdir(parents=True, exist_ok=True)
    images = np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    k = len(spec.class_names)
    labels = (np.arange(n) % k + spec.label_offset).astype(np.uint8)
    images_name, labels_name = spec.file_names("train")
    write_idx(folder / images_name, images)
    write_idx(folder / labels_name, labels)


def test_dcgan_trains_on_kmnist_files(run_cli, tmp_path) -> None:
    data, run = tmp_path / "kmnist", tmp_path / "run"
    write_dataset(data, "kmnist", 40)
    code, err = run_cli(
        "train", "dcgan", "--dataset", "kmnist", "--data-dir", str(data), "--out", str(run), *FAST
    )
    assert code == 0, err
    assert f"on kmnist ({data} (--data-dir)" in err
    assert yaml.safe_load((run / "config.yaml").read_text())["dataset"] == "kmnist"
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["dataset"], summary["steps"], summary["train_images"]) == ("kmnist", 2, 40)


@pytest.mark.parametrize(
    ("name", "layout", "classes"),
    [("emnist-letters", "classes-5x6", 26), ("emnist-balanced", "per-class", 47)],
)
def test_acgan_builds_with_the_datasets_classes(run_cli, tmp_path, name, layout, classes) -> None:
    data, run = tmp_path / name, tmp_path / "run"
    write_dataset(data, name, 2 * classes)
    code, err = run_cli(
        "train", "acgan", "--dataset", name, "--data-dir", str(data), "--out", str(run),
        "--grid-layout", layout, *FAST,
    )  # fmt: skip
    assert code == 0, err
    checkpoint = load_checkpoint(RunLayout(run).last_checkpoint)
    assert checkpoint.meta["num_classes"] == classes
    model = load_model(run)
    assert model.recipe.num_classes == classes
    assert model.class_names == DATASETS[name].class_names
    if name == "emnist-letters":
        assert model.class_names == tuple(string.ascii_lowercase)
    finals = sorted(p.name for p in (run / "samples").glob("final*.png"))
    assert len(finals) == (1 if layout == "classes-5x6" else classes)
    code, err = run_cli("sample", str(run), "--n", "4", "--class", str(classes - 1))
    assert code == 0, err
