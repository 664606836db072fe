"""Reading ``ganforge evaluate --samples`` files (evaluation/evaluate.py): anything but
uint8 N×28×28 is a one-line DataError naming the file, before torch sees the array."""

import numpy as np
import pytest

from ganforge.errors import DataError
from ganforge.evaluation.evaluate import load_sample_files


def test_uint8_images_and_integer_labels_load(tmp_path):
    np.save(tmp_path / "s.npy", np.zeros((3, 28, 28), np.uint8))
    np.save(tmp_path / "l.npy", np.array([0, 1, 2], dtype=">i8"))  # byte-swapped labels too
    images, labels = load_sample_files(tmp_path / "s.npy", tmp_path / "l.npy")
    assert images.shape == (3, 28, 28) and labels.tolist() == [0, 1, 2]


def test_an_empty_file_is_a_one_line_error(tmp_path):
    """Found by tests/fuzz: np.load's EOFError became click's Abort, a traceback."""
    (tmp_path / "s.npy").write_bytes(b"")
    with pytest.raises(DataError, match=r"cannot read samples .*s\.npy: No data left"):
        load_sample_files(tmp_path / "s.npy", None)


@pytest.mark.parametrize(
    ("array", "shown"),
    [
        # Found by tests/fuzz: torch.from_numpy failed with a traceback on each of these.
        (np.zeros((100, 28, 28), dtype=">i8"), ">i8 100×28×28"),
        (np.full((2, 28, 28), "abc"), "<U3 2×28×28"),
        (np.zeros((1, 28, 28), dtype=[("a", "u1"), ("b", "f4")]), "1×28×28"),
        (np.zeros((4, 28, 28), dtype="datetime64[s]"), "datetime64[s] 4×28×28"),
        (np.uint8(7), "uint8 a scalar"),
        (np.zeros((100, 784), np.uint8), "uint8 100×784"),
    ],
)
def test_samples_of_another_type_or_shape_are_refused_in_one_line(tmp_path, array, shown):
    np.save(tmp_path / "s.npy", array)
    with pytest.raises(DataError) as info:
        load_sample_files(tmp_path / "s.npy", None)
    message = str(info.value)
    assert message.startswith("samples must be uint8 N×28×28, got ") and shown in message
    assert str(tmp_path / "s.npy") in message and "\n" not in message


@pytest.mark.parametrize("shape", [(2**62, 0), (3, 1), (4,), ()])
def test_labels_of_another_shape_are_refused_before_any_copy(tmp_path, shape):
    """Found by tests/fuzz: uint8 labels of shape (2**62, 0), empty, failed as int64 with a
    NumPy ValueError traceback ("array is too big")."""
    np.save(tmp_path / "s.npy", np.zeros((3, 28, 28), np.uint8))
    np.save(tmp_path / "l.npy", np.zeros(shape, np.uint8))
    with pytest.raises(DataError, match=r"must hold one class per sample \(3\), got shape"):
        load_sample_files(tmp_path / "s.npy", tmp_path / "l.npy")
