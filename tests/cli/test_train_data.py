"""``ganforge train --data``: real MNIST digits written as PNG class folders, as a flat folder
and as an ``.npz``, trained on end to end, resumed, and sampled with the folders' names."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from tests.digit_folders import FAST, WORDS, N

from ganforge.data import DataSource, image_folder, load_user_data
from ganforge.data.pixels import fingerprint
from ganforge.generation import files as generation_files


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A fresh ganforge home (the decoded folders' cache) for each test."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def decodes(monkeypatch) -> list[Path]:
    """Every file the folder loader decodes, in order."""
    seen: list[Path] = []
    real = image_folder.decode_one

    def counting(path: Path):
        seen.append(path)
        return real(path)

    monkeypatch.setattr(image_folder, "decode_one", counting)
    return seen


def test_a_class_folder_decodes_to_the_original_digits_exactly(digits, decodes) -> None:
    data = load_user_data(digits["root"] / "classes", say=lambda _: None)
    names = tuple(sorted(WORDS))
    # Sorted by class folder, then by file name (the original order within a class).
    order = sorted(range(N), key=lambda i: (names.index(WORDS[digits["labels"][i]]), i))
    want_labels = np.array([names.index(WORDS[digits["labels"][i]]) for i in order])
    assert data.class_names == names
    assert data.labelled
    assert np.array_equal(data.images.numpy(), digits["images"][order])
    assert np.array_equal(data.labels.numpy(), want_labels)
    assert data.fingerprint == fingerprint(digits["images"][order], want_labels)
    assert len(decodes) == N


def test_the_second_load_comes_from_the_cache_until_a_file_changes(digits, decodes) -> None:
    flat = digits["root"] / "flat"
    first = load_user_data(flat, say=lambda _: None)
    assert len(decodes) == N
    again = load_user_data(flat, say=lambda _: None)
    assert len(decodes) == N  # nothing decoded: the cache
    assert np.array_equal(again.images.numpy(), digits["images"])
    assert again.fingerprint == first.fingerprint
    assert not again.labelled and again.class_names == ("unlabelled",)
    assert not again.labels.any()
    changed = flat / "0007.png"
    Image.fromarray(255 - digits["images"][7]).save(changed)
    try:
        third = load_user_data(flat, say=lambda _: None)
        assert len(decodes) == 2 * N  # its size or time changed: all decoded again
        assert np.array_equal(third.images[7].numpy(), 255 - digits["images"][7])
        assert third.fingerprint != first.fingerprint
    finally:
        Image.fromarray(digits["images"][7]).save(changed)


def test_an_npz_holds_the_same_digits_with_its_class_names(digits) -> None:
    data = load_user_data(digits["root"] / "digits.npz", say=lambda _: None)
    assert np.array_equal(data.images.numpy(), digits["images"])
    assert np.array_equal(data.labels.numpy(), digits["labels"])
    assert data.class_names == WORDS
    assert data.fingerprint == fingerprint(digits["images"], digits["labels"])


def test_dcgan_trains_on_a_flat_folder_and_resumes(digits, run_cli, tmp_path) -> None:
    flat, run = digits["root"] / "flat", tmp_path / "run"
    code, err = run_cli("train", "dcgan", "--data", str(flat), "--out", str(run), *FAST)
    assert code == 0, err
    held = f"{N - N // 10} of {N} images ({N // 10} held out for testing)"
    assert f"{flat} (image folder, unlabelled), {held}" in err
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert (config["dataset"], config["data"]) == ("custom", str(flat))
    assert (config["test_data"], config["holdout"]) == (None, 0.1)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["data_source"] == f"{flat} (image folder, unlabelled), {held}"
    assert summary["train_images"] == N - N // 10
    whole = load_user_data(flat, say=lambda _: None)
    test = DataSource("custom", data=flat).load("test")
    assert summary["data_split"] == {
        "test_split": "holdout",
        "holdout": 0.1,
        "holdout_seed": 0,
        "data_fingerprint": whole.fingerprint,
        "train_images": N - N // 10,
        "test_images": N // 10,
        "test_fingerprint": test.fingerprint,
    }
    # The run finds its data again by the path it recorded.
    code, err = run_cli("train", "--resume", "--out", str(run), "--steps", "7", "--plain")
    assert code == 0, err
    # Moved: the run names it in one line; given the new place, it resumes.
    moved = tmp_path / "moved"
    shutil.copytree(flat, moved)
    config["data"] = str(tmp_path / "gone")
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    code, err = run_cli("train", "--resume", "--out", str(run), "--steps", "9")
    assert code == 2
    assert err.strip() == (
        f"error: {tmp_path / 'gone'}, the data this run was trained on, is gone; pass --data "
        "PATH to the same images (their fingerprint is checked)"
    )
    code, err = run_cli(
        "train", "--resume", "--out", str(run), "--steps", "9", "--data", str(moved), "--plain"
    )
    assert code == 0, err
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 9
    assert summary["data_source"] == f"{moved} (image folder, unlabelled), {held}"


def test_resuming_on_other_images_is_refused(digits, run_cli, tmp_path) -> None:
    run = tmp_path / "run"
    code, err = run_cli(
        "train", "dcgan", "--data", str(digits["root"] / "flat"), "--out", str(run), *FAST
    )
    assert code == 0, err
    other = digits["root"] / "classes"  # the same digits in another order
    code, err = run_cli(
        "train", "--resume", "--out", str(run), "--steps", "7", "--data", str(other)
    )
    assert code == 2
    assert "fingerprints differ); pass the same --data" in err
    assert len(err.strip().splitlines()) == 1


def test_acgan_trains_on_class_folders_and_samples_with_their_names(
    digits, run_cli, tmp_path, monkeypatch
) -> None:
    run = tmp_path / "run"
    code, err = run_cli(
        "train", "acgan", "--data", str(digits["root"] / "classes"), "--out", str(run), *FAST
    )
    assert code == 0, err
    drawn: list = []
    real = generation_files.save_grid

    def spy(*args):
        drawn.append(args[-1])  # the class names the grid is labelled with
        return real(*args)

    monkeypatch.setattr(generation_files, "save_grid", spy)
    code, err = run_cli("sample", str(run), "--n", "20", "--grid", str(tmp_path / "g.png"))
    assert code == 0, err
    assert drawn == [tuple(sorted(WORDS))]
    assert (tmp_path / "g.png").exists()


def test_acgan_trains_on_an_npz(digits, run_cli, tmp_path) -> None:
    npz = digits["root"] / "digits.npz"
    code, err = run_cli("train", "acgan", "--data", str(npz), "--out", str(tmp_path / "r"), *FAST)
    assert code == 0, err
    assert f"{npz} (.npz file)" in err


def test_a_conditional_recipe_refuses_unlabelled_images(digits, run_cli, tmp_path) -> None:
    flat = digits["root"] / "flat"
    code, err = run_cli("train", "acgan", "--data", str(flat), "--out", str(tmp_path / "r"))
    assert code == 2
    assert err.strip() == (
        f"error: {flat} is unlabelled; recipe 'acgan' is conditional: it needs class "
        "sub-folders (or an .npz with labels)"
    )
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--dataset", "fashion"), "name two training sets; give one"),
        (("--test-data", "t.npz"), "t.npz does not exist; expected a folder"),
        (("--holdout", "0.6"), "Invalid value for '--holdout'"),
    ],
)
def test_data_with_options_that_do_not_fit_is_refused(
    digits, run_cli, tmp_path, extra, message
) -> None:
    flat = digits["root"] / "flat"
    code, err = run_cli("train", "dcgan", "--data", str(flat), "--out", str(tmp_path / "r"), *extra)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_data_that_does_not_exist_is_one_line(run_cli, tmp_path) -> None:
    code, err = run_cli(
        "train", "dcgan", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r")
    )
    assert code == 2
    assert err.strip() == (
        f"error: {tmp_path / 'nope'} does not exist; expected a folder of images "
        "(PNG, JPEG, BMP, TIFF) or an .npz/.npy file"
    )


def test_evaluating_a_run_on_own_images_measures_against_their_held_out_split(
    digits, run_cli, tmp_path
) -> None:
    run = tmp_path / "r"
    code, err = run_cli(
        "train", "dcgan", "--data", str(digits["root"] / "digits.npz"), "--out", str(run), *FAST
    )
    assert code == 0, err
    code, err = run_cli("evaluate", str(run), "--n", "100")
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_real"] == N // 10 and metrics["evaluator"]["dataset"] == "custom"
    assert metrics["real_class_accuracy"] > 0.5  # its classifier of the ten digits
