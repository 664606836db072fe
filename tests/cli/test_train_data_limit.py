"""``ganforge train --data-limit N`` / ``--data-fraction F``: a seeded, class-balanced subset of
the training split, its refusals in one line, a tiny run on it with the subset's steps per
epoch, its records in config.yaml and summary.json, and a resume that keeps it."""

import json

import pytest
import yaml

TINY = [
    "--set",
    "model.g_hidden=[32]",
    "--set",
    "model.d_hidden=[32]",
    "--set",
    "model.latent_dim=8",
]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data-limit", "0"], "data_limit (--data-limit) must be a positive number of images"),
        (["--data-limit", "-5"], "data_limit (--data-limit) must be a positive number of images"),
        (["--data-fraction", "0"], "data_fraction (--data-fraction) must be in (0, 1], got 0.0"),
        (["--data-fraction", "1.01"], "data_fraction (--data-fraction) must be in (0, 1]"),
        (
            ["--data-limit", "100", "--data-fraction", "0.1"],
            "--data-limit 100 and --data-fraction 0.1 both given; give one",
        ),
        (["--data-limit-seed", "4"], "--data-limit-seed) 4 picks the images of --data-limit or"),
        (["--data-limit", "many"], "Invalid value for '--data-limit'"),
    ],
)
def test_bad_values_are_refused_in_one_line_before_anything_is_written(
    tmp_path, run_cli, args, message
):
    run = tmp_path / "run"
    code, err = run_cli("train", "gan", *args, "--out", str(run))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not run.exists()


@pytest.mark.mnist
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--data-limit", "10001"],
            "--data-limit 10001 asks for more images than the training split has (10,000,",
        ),
        (
            ["--data-limit", "9"],
            "--data-limit 9 is fewer images than the training data's 10 classes: a "
            "class-balanced subset needs one image of each at least; expected at least 10",
        ),
        (["--data-fraction", "0.00004"], "--data-fraction 4e-05 of the training split's 10,000"),
    ],
)
def test_sizes_the_split_cannot_give_are_refused_in_one_line(
    tmp_path, run_cli, mnist_dir, args, message
):
    run = tmp_path / "run"
    code, err = run_cli("train", "gan", *args, "--data-dir", str(mnist_dir), "--out", str(run))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not run.exists()


@pytest.mark.mnist
def test_a_tiny_run_on_200_images_trains_their_steps_and_records_them_and_resumes(
    tmp_path, run_cli, mnist_dir
):
    run = tmp_path / "run"
    common = ["--data-dir", str(mnist_dir), "--out", str(run), "--device", "cpu", "--plain"]
    common += [*TINY, "--batch-size", "20"]
    code, err = run_cli("train", "gan", "--data-limit", "200", "--epochs", "2", *common)
    assert code == 0, err
    assert "a class-balanced subset of 200 of its 10,000 images (seed 0)" in err
    # 200 images in batches of 20, gan's 2 D steps on one batch: 10 steps an epoch.
    assert "gan step 20/20 epoch 2.00" in err
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["train_images"], summary["steps"], summary["epochs"]) == (200, 20, 2.0)
    assert summary["data_subset"] == {
        "limit": 200,
        "seed": 0,
        "images": 200,
        "of": 10_000,
        "class_balanced": True,
        "per_class": [20] * 10,
    }
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert [config[k] for k in ("data_limit", "data_fraction", "data_limit_seed")] == [200, None, 0]
    code, err = run_cli("train", "--resume", "--epochs", "3", *common)  # no --data-limit
    assert code == 0, err
    again = json.loads((run / "summary.json").read_text())
    assert again["data_subset"] == summary["data_subset"]
    assert (again["train_images"], again["steps"]) == (200, 30)  # 10 steps an epoch still
    assert yaml.safe_load((run / "config.yaml").read_text())["data_limit"] == 200
    code, err = run_cli("train", "--resume", "--epochs", "4", "--data-limit", "300", *common)
    assert code == 2 and "cannot change data_limit when resuming (the run used 200, got 300)" in err
