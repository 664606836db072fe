"""Loading a user's own images (``train --data``): what each kind of folder and array file
becomes, and each kind of bad input refused in one line naming the file."""

import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ganforge.data import load_user_data
from ganforge.errors import DataError


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path_factory.mktemp("home")))


def load(path: Path):
    notes: list[str] = []
    return load_user_data(path, say=notes.append), notes


def refused(path: Path) -> str:
    """The one-line message ``path`` is refused with."""
    with pytest.raises(DataError) as caught:
        load_user_data(path, say=lambda _: None)
    message = str(caught.value)
    assert "\n" not in message
    return message


def png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def gradient(side: int = 28) -> np.ndarray:
    return (np.arange(side * side).reshape(side, side) % 256).astype(np.uint8)


# -- folders ---------------------------------------------------------------------------------


def test_rgb_jpegs_of_another_size_are_made_grayscale_28_and_said(tmp_path) -> None:
    for i in range(3):
        rgb = np.full((64, 64, 3), (200, 100, 50), dtype=np.uint8)
        Image.fromarray(rgb).save(tmp_path / f"{i}.jpg", quality=95)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    data, notes = load(tmp_path)
    assert data.images.shape == (3, 28, 28) and data.images.dtype.is_floating_point is False
    want = round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)  # ITU-R 601-2 luma, as Pillow's "L"
    assert abs(int(data.images.float().mean()) - want) <= 2
    assert notes == [
        f"{tmp_path}: ignored 1 file not PNG, JPEG, BMP or TIFF: notes.txt",
        f"{tmp_path}: resized 64×64 → 28×28",
    ]


def test_nested_class_folders_take_their_sorted_names(tmp_path) -> None:
    png(tmp_path / "b" / "x.png", gradient())
    png(tmp_path / "b" / "deeper" / "y.png", gradient())
    png(tmp_path / "a" / "z.bmp", gradient())
    data, _ = load(tmp_path)
    assert data.class_names == ("a", "b")
    assert data.labels.tolist() == [0, 1, 1]
    assert data.source == f"{tmp_path} (image folder)"


def test_16_bit_pngs_are_scaled_to_8_bits_not_clipped(tmp_path) -> None:
    wide = gradient().astype(np.uint16) * 257  # 8-bit value v as 16-bit v*257
    for i in range(2):
        png(tmp_path / f"{i}.png", wide)
    assert Image.open(tmp_path / "0.png").mode.startswith("I;16")
    data, _ = load(tmp_path)
    assert np.array_equal(data.images[0].numpy(), gradient())


def test_an_empty_folder(tmp_path) -> None:
    assert refused(tmp_path) == (
        f"{tmp_path} holds no images; expected PNG, JPEG, BMP or TIFF files, or class "
        "sub-folders of them"
    )


def test_a_folder_with_one_image(tmp_path) -> None:
    png(tmp_path / "only.png", gradient())
    assert refused(tmp_path) == (
        f"{tmp_path} holds 1 image (only.png); expected at least 2 to train on"
    )


def test_a_class_folder_without_images(tmp_path) -> None:
    png(tmp_path / "cats" / "1.png", gradient())
    (tmp_path / "dogs").mkdir()
    (tmp_path / "dogs" / "readme.md").write_text("woof")
    assert refused(tmp_path) == (
        f"class folder {tmp_path / 'dogs'} holds no images; expected PNG, JPEG, BMP or TIFF "
        "files in every class folder"
    )


def test_class_folders_beside_images(tmp_path) -> None:
    png(tmp_path / "cats" / "1.png", gradient())
    png(tmp_path / "stray.png", gradient())
    assert "holds both class folders (cats) and images (stray.png)" in refused(tmp_path)


def test_files_that_are_not_images_are_named(tmp_path) -> None:
    for name in ("a.png", "b.jpg", "c.tiff", "d.bmp"):
        (tmp_path / name).write_bytes(b"this is not an image " * 10)
    png(tmp_path / "e.png", gradient())
    (tmp_path / "f.png").write_bytes((tmp_path / "e.png").read_bytes()[:60])  # truncated
    message = refused(tmp_path)
    assert message.startswith(
        f"{tmp_path}: 5 files cannot be read as images: a.png (not an image Pillow can read), "
        "b.jpg (not an image Pillow can read), c.tiff (not an image Pillow can read), …"
    )


def test_images_below_8_pixels(tmp_path) -> None:
    png(tmp_path / "big.png", gradient())
    png(tmp_path / "tiny.png", gradient(7))
    assert refused(tmp_path) == (
        f"{tmp_path}: 1 image smaller than 8×8: tiny.png (7×7); expected at least 8 pixels a side"
    )


def test_more_than_1000_class_folders(tmp_path) -> None:
    for k in range(1001):
        (tmp_path / f"c{k:04d}").mkdir()
    assert refused(tmp_path) == f"{tmp_path} holds 1001 class folders; expected at most 1000"


def test_a_path_that_is_neither(tmp_path) -> None:
    (tmp_path / "x.csv").write_text("1,2")
    assert "is neither a folder nor an .npz/.npy file" in refused(tmp_path / "x.csv")


# -- arrays ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "read_as"),
    [
        (np.linspace(0, 1, 2 * 28 * 28, dtype=np.float32), "[0,1]"),
        (np.linspace(-1, 1, 2 * 28 * 28), "[-1,1]"),
    ],
)
def test_float_arrays_are_read_by_their_range(tmp_path, values, read_as) -> None:
    np.save(tmp_path / "x.npy", values.reshape(2, 1, 28, 28))
    data, notes = load(tmp_path / "x.npy")
    assert data.images.dtype.itemsize == 1
    assert (int(data.images.min()), int(data.images.max())) == (0, 255)
    assert notes == [f"{tmp_path / 'x.npy'}: {read_as} pixels read as 0..255"]
    assert not data.labelled


def test_an_npz_of_another_size_is_resized(tmp_path) -> None:
    np.savez(tmp_path / "x.npz", images=np.zeros((4, 56, 56), np.uint8), labels=np.arange(4))
    data, notes = load(tmp_path / "x.npz")
    assert data.images.shape == (4, 28, 28)
    assert data.class_names == ("0", "1", "2", "3")
    assert notes == [f"{tmp_path / 'x.npz'}: resized 56×56 → 28×28"]


def npz(tmp_path: Path, **arrays) -> Path:
    np.savez(tmp_path / "x.npz", **arrays)
    return tmp_path / "x.npz"


IMAGES = np.zeros((3, 28, 28), np.uint8)


def test_an_npz_without_images(tmp_path) -> None:
    path = npz(tmp_path, pixels=IMAGES, labels=np.arange(3))
    assert refused(path) == (
        f"{path} holds no 'images' array (it holds: labels, pixels); expected images (N×H×W) "
        "and optionally labels and class_names"
    )


def test_labels_of_the_wrong_length(tmp_path) -> None:
    path = npz(tmp_path, images=IMAGES, labels=np.arange(4))
    assert refused(path) == (f"{path}: labels have shape (4,); expected one label per image (3,)")


def test_labels_that_are_not_integers(tmp_path) -> None:
    path = npz(tmp_path, images=IMAGES, labels=np.array([0.0, 1.5, 2.0]))
    assert refused(path) == f"{path}: labels are float64; expected integers 0..K-1"


def test_more_than_1000_classes_of_labels(tmp_path) -> None:
    path = npz(tmp_path, images=IMAGES, labels=np.array([0, 1, 1000]))
    assert refused(path) == (
        f"{path}: labels go up to 1000 (1001 classes); expected at most 1000 classes"
    )


def test_pixels_out_of_range(tmp_path) -> None:
    path = npz(tmp_path, images=IMAGES.astype(np.float32) - 3)
    assert refused(path) == (
        f"{path} holds values from -3 to -3; expected uint8, or floats in [0,1] or [-1,1], "
        "or numbers in 0..255"
    )


def test_an_npy_holding_a_pickle_is_never_loaded(tmp_path) -> None:
    objects = np.empty(2, dtype=object)
    objects[:] = [IMAGES, IMAGES]
    np.save(tmp_path / "obj.npy", objects, allow_pickle=True)
    expected = "holds a pickled object; ganforge never loads pickles (they can run code)"
    assert expected in refused(tmp_path / "obj.npy")
    (tmp_path / "raw.npy").write_bytes(pickle.dumps(IMAGES))
    assert expected in refused(tmp_path / "raw.npy")


def test_a_broken_npz(tmp_path) -> None:
    good = npz(tmp_path, images=IMAGES)
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[:100])
    assert refused(tmp_path / "cut.npz").startswith(
        f"{tmp_path / 'cut.npz'} is not a readable .npy/.npz file"
    )


# -- anything at all: a DataError or data, never another exception ---------------------------

NAMES = st.sampled_from(["a.png", "b.jpg", "c.bmp", "d.tif", "e.txt", "sub", ".hidden.png"])


def tiny_png(array: np.ndarray) -> bytes:
    from io import BytesIO

    out = BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


CONTENTS = st.one_of(
    st.binary(max_size=64),
    st.builds(
        tiny_png,
        st.integers(1, 12).flatmap(
            lambda side: st.builds(
                lambda seed: np.random.default_rng(seed).integers(0, 256, (side, side), np.uint8),
                st.integers(0, 2**16),
            )
        ),
    ),
)
TREES = st.recursive(
    st.dictionaries(NAMES, CONTENTS, max_size=4),
    lambda children: st.dictionaries(NAMES, st.one_of(CONTENTS, children), max_size=4),
    max_leaves=10,
)


def build(folder: Path, tree: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in tree.items():
        if isinstance(content, dict):
            build(folder / (name + "_d"), content)
        else:
            (folder / name).write_bytes(content)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=TREES)
def test_any_folder_tree_loads_or_is_a_data_error(tmp_path_factory, tree) -> None:
    folder = tmp_path_factory.mktemp("tree")
    build(folder, tree)
    try:
        data = load_user_data(folder, say=lambda _: None)
    except DataError as err:
        assert "\n" not in str(err)
    else:
        assert data.images.shape[1:] == (28, 28) and len(data.images) >= 2


ARRAYS = st.builds(
    lambda shape, kind, seed: np.random.default_rng(seed).normal(0, 2, shape).astype(kind),
    st.lists(st.integers(0, 40), min_size=1, max_size=5).map(tuple),
    st.sampled_from(["uint8", "int16", "float32", "float64", "bool"]),
    st.integers(0, 100),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(images=ARRAYS, labels=st.one_of(st.none(), ARRAYS), as_npy=st.booleans())
def test_any_arrays_load_or_are_a_data_error(tmp_path_factory, images, labels, as_npy) -> None:
    folder = tmp_path_factory.mktemp("arrays")
    if as_npy:
        path = folder / "x.npy"
        np.save(path, images)
    else:
        path = folder / "x.npz"
        np.savez(path, images=images, **({} if labels is None else {"labels": labels}))
    try:
        data = load_user_data(path, say=lambda _: None)
    except DataError as err:
        assert "\n" not in str(err)
    else:
        assert data.images.shape[1:] == (28, 28)
        assert len(data.labels) == len(data.images)
