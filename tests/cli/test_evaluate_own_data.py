"""``ganforge evaluate`` and ``--eval-every`` on runs trained on the user's own images: real
MNIST digits as an unlabelled and a labelled ``.npz``, measured against their held-out test
split by an evaluator trained on their training split."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ganforge.data import load_dataset

N = 400
NAMES = ("zero", "one", "two")
FAST = ("--steps", "4", "--batch-size", "32", "--plain", "--sample-every", "0")


@pytest.fixture(scope="module")
def arrays(mnist_dir, tmp_path_factory) -> dict[str, Path]:
    """Real MNIST test digits 0..2: ``labelled`` (with class names) and ``flat`` .npz files."""
    test = load_dataset("mnist", "test", mnist_dir)
    keep = test.labels < 3
    images, labels = test.images[keep][:N].numpy(), test.labels[keep][:N].numpy()
    root = tmp_path_factory.mktemp("arrays")
    np.savez(root / "labelled.npz", images=images, labels=labels, class_names=np.array(NAMES))
    np.savez(root / "flat.npz", images=images)
    return {"labelled": root / "labelled.npz", "flat": root / "flat.npz", "root": root}


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path_factory.getbasetemp() / "own-home"))


def test_an_unlabelled_run_is_measured_by_its_features(arrays, run_cli, tmp_path) -> None:
    run, mine = tmp_path / "run", Path(shutil.copy(arrays["flat"], tmp_path / "mine.npz"))
    code, err = run_cli("train", "dcgan", "--data", str(mine), "--out", str(run), *FAST)
    assert code == 0, err
    code, err = run_cli("evaluate", str(run), "--n", "100")
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_real"] == N // 10 and metrics["n_fake"] == 100  # the held-out digits
    assert metrics["evaluator"]["task"] == "rotation"
    assert metrics["class_metrics"].startswith("left out: the data is unlabelled")
    assert metrics["fid"] > 0 and "class_accuracy" not in metrics
    # Measured against other images on request; the run's own gone: said in one line.
    mine.rename(tmp_path / "moved.npz")
    code, err = run_cli("evaluate", str(run), "--n", "100", "--data", str(tmp_path / "moved.npz"))
    assert code == 0, err
    assert json.loads((run / "metrics.json").read_text())["fid"] == metrics["fid"]
    code, err = run_cli("evaluate", str(run), "--n", "100")
    assert (code, err.strip()) == (
        2,
        f"error: {mine}, the data this run was trained on, is gone; pass --data "
        "PATH to the same images to measure against them",
    )


def test_a_labelled_run_gets_class_metrics_and_evaluates_while_training(
    arrays, run_cli, tmp_path
) -> None:
    run = tmp_path / "run"
    data = ("--data", str(arrays["labelled"]))
    code, err = run_cli(
        "train", "acgan", *data, "--out", str(run), *FAST, "--eval-every", "2steps",
        "--eval-samples", "100",
    )  # fmt: skip
    assert code == 0, err
    rows = (run / "metrics" / "eval.csv").read_text().splitlines()
    assert len(rows) == 3  # the header and steps 2 and 4
    code, err = run_cli("evaluate", str(run), "--n", "150")
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["evaluator"]["num_classes"] == 3
    assert len(metrics["class_accuracy_per_class"]) == 3
    assert 0 <= metrics["class_accuracy"] <= 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--data", "x.npz", "--dataset", "mnist"),
            "--data x.npz and --dataset mnist name two",
        ),
        (
            ("--holdout", "0.2"),
            "--holdout is the test split of your own images",
        ),
        (
            ("--test-data", "t.npz"),
            "--test-data is the test split of your own",
        ),
    ],
)
def test_own_data_options_that_do_not_fit_are_refused(run_cli, args, message, tmp_path) -> None:
    code, err = run_cli("evaluate", "--calibration", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
