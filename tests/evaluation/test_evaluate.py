"""Reading a samples file for ``ganforge evaluate --samples``: ``.npy`` or ``.npz`` (images
named ``images`` or ``samples``, or the only array, with optional ``labels``), uint8 or
floats in [0, 1] / [-1, 1]; anything else one DataError line naming the file."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.cli import main
from ganforge.errors import DataError
from ganforge.evaluation.evaluate import load_sample_files

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8)


def npz(tmp_path: Path, **arrays: np.ndarray) -> Path:
    path = tmp_path / "x.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("name", ["images", "samples", "arr_0"])
def test_an_npz_holds_its_images_under_a_name_or_alone(tmp_path, name):
    images, labels, pixels = load_sample_files(npz(tmp_path, **{name: U8}))
    assert torch.equal(images, torch.from_numpy(U8)) and labels is None and pixels == "uint8"


def test_an_npz_may_hold_its_labels_beside_its_images(tmp_path):
    path = npz(tmp_path, labels=np.arange(5), images=U8[:, None])  # N×1×28×28 too
    images, labels, _ = load_sample_files(path, None, num_classes=10)
    assert images.shape == (5, 28, 28) and labels.tolist() == [0, 1, 2, 3, 4]
    assert labels.dtype == torch.int64


def test_an_npy_with_labels_in_another_npy(tmp_path):
    np.save(tmp_path / "s.npy", U8)
    np.save(tmp_path / "l.npy", np.arange(5, dtype=np.uint8))
    _, labels, pixels = load_sample_files(tmp_path / "s.npy", tmp_path / "l.npy", 10)
    assert labels.tolist() == [0, 1, 2, 3, 4] and pixels == "uint8"


@pytest.mark.parametrize(
    ("array", "pixels"),
    [
        (U8 / 255.0, "floats in [0, 1], scaled to 0..255"),
        ((U8 / 127.5 - 1.0).astype(np.float32), "floats in [-1, 1], scaled to 0..255"),
        (U8.astype(np.int64), "integers in 0..255"),
    ],
)
def test_floats_and_wider_integers_are_scaled_back_and_said_so(tmp_path, array, pixels):
    images, _, said = load_sample_files(npz(tmp_path, images=array))
    assert said == pixels and images.dtype == torch.uint8
    assert torch.equal(images, torch.from_numpy(U8))


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"a": U8, "b": U8}, "must hold one array named 'images' or 'samples' (or a single"),
        ({"images": U8, "samples": U8}, "holds 'images', 'samples'"),
        ({"labels": np.arange(5)}, "it holds 'labels'"),
        ({}, "it holds none"),
        (
            {"images": U8[:, :27]},
            "must be N×28×28 or N×1×28×28 images (the evaluator's 28×28), got 5×27×28",
        ),
        ({"images": U8[:, None, :, :, None]}, "got 5×1×28×28×1"),
        ({"images": np.zeros((5, 3, 28, 28), np.uint8)}, "got 5×3×28×28"),
        ({"images": U8[:1]}, "holds 1 image(s); the metrics need 2 or more"),
        (
            {"images": U8 / 100.0},
            "finite floats in [0, 1] or [-1, 1], got float64 from 0.0 to 2.55",
        ),
        ({"images": np.full((2, 28, 28), np.nan)}, "finite floats"),
        ({"images": U8.astype(np.int16) - 1}, "got int16 from -1 to"),
        ({"images": U8 > 0}, "got bool"),
        (
            {"images": U8, "labels": np.arange(4)},
            "labels in {path} must hold one class per sample (5), got 4",
        ),
        (
            {"images": U8, "labels": np.arange(5.0)},
            "labels in {path} must be integers, got float64",
        ),
        (
            {"images": U8, "labels": np.arange(5) + 6},
            "labels in {path} must be classes 0..9, got 6..10",
        ),
        ({"images": U8, "labels": np.arange(5) - 1}, "must be classes 0..9, got -1..3"),
    ],
)
def test_every_other_file_is_one_data_error_naming_it(tmp_path, arrays, message):
    path = npz(tmp_path, **arrays)
    with pytest.raises(DataError) as info:
        load_sample_files(path, None, num_classes=10)
    text = str(info.value)
    assert message.format(path=path) in text and str(path) in text and "\n" not in text


def test_labels_given_twice_and_unreadable_files(tmp_path):
    np.save(tmp_path / "l.npy", np.arange(5))
    with pytest.raises(DataError, match=r"holds a 'labels' array and --labels .* is given too"):
        load_sample_files(npz(tmp_path, images=U8, labels=np.arange(5)), tmp_path / "l.npy")
    for content in (b"", b"PK\x03\x04 not a zip", b"not numpy at all"):
        (tmp_path / "bad.npz").write_bytes(content)
        with pytest.raises(DataError, match=f"^cannot read samples {re.escape(str(tmp_path))}"):
            load_sample_files(tmp_path / "bad.npz")


def test_a_pickled_array_in_an_npz_is_refused_never_loaded(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, images=np.array([object()], dtype=object))
    with pytest.raises(DataError, match=f"cannot read samples {re.escape(str(path))}"):
        load_sample_files(path)


def test_the_cli_says_what_is_wrong_with_an_npz_in_one_line(tmp_path, monkeypatch, capsys):
    path = npz(tmp_path, images=U8[:, :, :14])
    monkeypatch.setattr(sys, "argv", ["ganforge", "evaluate", "--samples", str(path)])
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"error: samples {path} must be N×28×28 or N×1×28×28 images (the evaluator's 28×28), "
        "got 5×28×14"
    ]


@pytest.mark.mnist
def test_the_cli_scores_an_npz_of_floats_and_says_how_it_read_them(
    tmp_path, mnist_dir, mnist_evaluator, monkeypatch, capsys
):
    from ganforge.data import load_dataset

    test = load_dataset("mnist", "test", mnist_dir)
    floats = test.images[:500].numpy() / 127.5 - 1.0
    path = npz(tmp_path, samples=floats[:, None], labels=test.labels[:500].numpy())
    out = tmp_path / "m.json"
    args = ["evaluate", "--samples", str(path), "--data-dir", str(mnist_dir), "--out", str(out)]
    monkeypatch.setattr(sys, "argv", ["ganforge", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    assert exited.value.code == 0, captured.err
    assert "samples were floats in [-1, 1], scaled to 0..255" in captured.out
    record = out.read_text()
    assert '"pixels": "floats in [-1, 1], scaled to 0..255"' in record
    assert '"class_accuracy"' in record  # the labels were read from the same file


def test_a_labels_archive_of_several_arrays_is_one_line_even_with_newlines_in_names(tmp_path):
    """Found by tests/fuzz: array names holding a newline made the message two lines."""
    np.save(tmp_path / "s.npy", U8)
    path = tmp_path / "l.npz"
    np.savez(path, **{"0": np.arange(5), "\n0": np.arange(5)})
    with pytest.raises(DataError) as info:
        load_sample_files(tmp_path / "s.npy", path, 10)
    message = str(info.value)
    assert "\n" not in message and "must be one array, got 2: '0', '\\n0'" in message
