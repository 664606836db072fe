"""EMNIST's zip from a local server: downloaded once, checked, only the dataset's four members
taken out (letters turned upright and numbered from 0), reused, re-taken when one is damaged;
and hostile archives, each refused in one line with nothing left in the cache."""

import dataclasses
import hashlib
import io
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ganforge.data import DATASETS, RemoteFile, archive, load_dataset, write_idx
from ganforge.errors import DataError


@pytest.fixture(autouse=True)
def _home(clean_home):
    return clean_home


def gz_idx(array: np.ndarray, tmp: Path) -> bytes:
    path = tmp / "member.gz"
    write_idx(path, array)
    return path.read_bytes()


def emnist_members(tmp: Path, n: int = 52) -> dict[str, bytes]:
    """Every member of a small EMNIST zip: letters and balanced, train and test (n images
    each, the first with one white pixel at row 2, column 20 as stored), and a mapping file."""
    images = np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    images[0] = 0
    images[0, 2, 20] = 255
    members = {"gzip/emnist-letters-mapping.txt": b"1 65 97\n"}
    for split, k, first in (("letters", 26, 1), ("balanced", 47, 0)):
        for part in ("train", "test"):
            labels = (np.arange(n) % k + first).astype(np.uint8)
            prefix = f"gzip/emnist-{split}-{part}"
            members[f"{prefix}-images-idx3-ubyte.gz"] = gz_idx(images, tmp)
            members[f"{prefix}-labels-idx1-ubyte.gz"] = gz_idx(labels, tmp)
    return members


def write_zip(path: Path, members: dict[str, bytes] | list[tuple[str, bytes]]) -> None:
    items = members.items() if isinstance(members, dict) else members
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name, on purpose
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in items:
                zf.writestr(name, data)


def publish(monkeypatch, root: Path, url: str) -> None:
    """Point both EMNIST datasets at ``root/gzip.zip`` on ``url``, with its own md5 and size."""
    data = (root / "gzip.zip").read_bytes()
    remote = RemoteFile("gzip.zip", hashlib.md5(data).hexdigest(), len(data))
    for name in ("emnist-letters", "emnist-balanced"):
        spec = DATASETS[name]
        own = dataclasses.replace(spec.archive, remote=remote)
        monkeypatch.setitem(DATASETS, name, dataclasses.replace(spec, archive=own, mirrors=(url,)))


def cached(home: Path) -> list[str]:
    folder = home / "datasets" / "emnist"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


LETTERS = sorted(
    f"emnist-letters-{part}-{kind}.gz"
    for part in ("train", "test")
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
)


def test_the_zip_is_downloaded_once_and_only_the_letters_taken_out(
    web, monkeypatch, clean_home, tmp_path, dead_url
):
    root, url = web
    write_zip(root / "gzip.zip", emnist_members(tmp_path))
    publish(monkeypatch, root, url)
    data = load_dataset("emnist-letters")
    assert cached(clean_home) == sorted([*LETTERS, "gzip.zip"])
    assert data.images[0, 20, 2] == 255 and data.images[0, 2, 20] == 0  # upright
    assert data.labels.tolist() == [k % 26 for k in range(52)] and data.num_classes == 26
    assert "download cache" in data.source
    # The zip is not fetched again: balanced is taken out of the cached copy.
    monkeypatch.setitem(
        DATASETS,
        "emnist-balanced",
        dataclasses.replace(DATASETS["emnist-balanced"], mirrors=(dead_url,)),
    )
    balanced = load_dataset("emnist-balanced", "test")
    assert balanced.num_classes == 47 and balanced.labels.tolist() == [k % 47 for k in range(52)]
    assert len(cached(clean_home)) == 9


def test_a_damaged_member_is_taken_out_again_and_offline_needs_the_zip(
    web, monkeypatch, clean_home, tmp_path
):
    root, url = web
    write_zip(root / "gzip.zip", emnist_members(tmp_path))
    publish(monkeypatch, root, url)
    first = load_dataset("emnist-letters", "test")
    member = clean_home / "datasets" / "emnist" / "emnist-letters-test-images-idx3-ubyte.gz"
    member.write_bytes(member.read_bytes()[:-5])
    again = load_dataset("emnist-letters", "test", download=False)
    assert again.fingerprint == first.fingerprint
    (clean_home / "datasets" / "emnist" / "gzip.zip").unlink()
    with pytest.raises(DataError) as info:
        load_dataset("emnist-letters", "test", download=False)
    message = str(info.value)
    assert message.startswith("no verified copy of emnist-letters test in ") and "\n" not in message
    assert "GANFORGE_EMNIST_LETTERS_DIR" in message and "or put gzip.zip (" in message


def test_the_mirrors_variable_serves_the_zip(web, monkeypatch, tmp_path, dead_url):
    root, url = web
    write_zip(root / "gzip.zip", emnist_members(tmp_path))
    publish(monkeypatch, root, dead_url)
    monkeypatch.setenv("GANFORGE_EMNIST_BALANCED_MIRRORS", url)
    assert load_dataset("emnist-balanced").num_classes == 47


def shrink_declared_size(data: bytes, name: str, size: int) -> bytes:
    """The zip ``data`` with ``name``'s uncompressed size, in its local header and in the
    central directory, replaced by ``size``: a member holding more than it declares."""
    out, encoded = bytearray(data), name.encode()
    for signature, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 30 if signature == b"PK\x03\x04" else 46
        pos = out.find(signature)
        while pos >= 0:
            if out[pos + start : pos + start + len(encoded)] == encoded:
                out[pos + at : pos + at + 4] = struct.pack("<I", size)
            pos = out.find(signature, pos + 1)
    return bytes(out)


TRAIN_IMAGES = "gzip/emnist-letters-train-images-idx3-ubyte.gz"


def hostile(kind: str, members: dict[str, bytes]) -> bytes:
    """A zip that is not the published one, of the ``kind`` a test names."""
    if kind == "not a zip":
        return b"PK\x03\x04 but nothing else" * 10
    if kind == "missing member":
        del members["gzip/emnist-letters-test-labels-idx1-ubyte.gz"]
    if kind == "path out":
        members["gzip/../../../evil.gz"] = b"x"
    if kind == "absolute path":
        members["/tmp/evil.gz"] = b"x"
    if kind == "bomb":  # a small zip declaring a member far over the limit (2 KiB here)
        members[TRAIN_IMAGES] = bytes(100_000)
    buffer = io.BytesIO()
    items = list(members.items())
    if kind == "twice":
        items.append((TRAIN_IMAGES, members[TRAIN_IMAGES]))
    write_zip(buffer, items)
    if kind == "larger than declared":
        return shrink_declared_size(buffer.getvalue(), TRAIN_IMAGES, 100)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("not a zip", "File is not a zip file"),
        ("missing member", "no member gzip/emnist-letters-test-labels-idx1-ubyte.gz"),
        ("path out", "a member named 'gzip/../../../evil.gz', a path leading out of its folder"),
        ("absolute path", "a member named '/tmp/evil.gz', a path leading out of its folder"),
        ("bomb", f"member {TRAIN_IMAGES} declares 100000 bytes, over 2048"),
        ("twice", f"member {TRAIN_IMAGES} twice"),
        ("larger than declared", "Bad CRC-32"),
    ],
)
def test_a_hostile_zip_is_refused_in_one_line_and_nothing_is_left(
    web, monkeypatch, clean_home, tmp_path, kind, words
):
    root, url = web
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 2048)
    (root / "gzip.zip").write_bytes(hostile(kind, emnist_members(tmp_path, n=2)))
    publish(monkeypatch, root, url)
    with pytest.raises(DataError) as info:
        load_dataset("emnist-letters")
    message = str(info.value)
    assert words in message and "\n" not in message, message
    zip_path = clean_home / "datasets" / "emnist" / "gzip.zip"
    assert message.startswith(f"{zip_path} is not the published gzip.zip (")
    assert message.endswith("; removed it")
    assert cached(clean_home) == []
    assert not list(tmp_path.rglob("evil.gz"))
    assert not Path("/tmp/evil.gz").exists()
