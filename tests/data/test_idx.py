"""read_idx / write_idx: round trips, each validation, and fuzzing that only DataError escapes."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ganforge.data.idx import MAX_PAYLOAD_BYTES, read_idx, write_idx
from ganforge.errors import DataError

SAMPLE = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)


def _header(dims, type_byte=0x08):
    return struct.pack(f">BBBB{len(dims)}I", 0, 0, type_byte, len(dims), *dims)


def _write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_round_trip(tmp_path, name):
    write_idx(tmp_path / name, SAMPLE)
    out = read_idx(tmp_path / name)
    assert out.dtype == np.uint8 and out.flags.c_contiguous and out.flags.writeable
    np.testing.assert_array_equal(out, SAMPLE)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\0\0")


def test_gzip_detected_by_magic_not_name(tmp_path):
    path = _write(tmp_path / "no-suffix", _header([2, 2]) + bytes(4), gz=True)
    assert read_idx(path).shape == (2, 2)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "truncated"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"x", "magic"),
        (_header([2], type_byte=0x0D) + bytes(8), "float32"),
        (_header([2], type_byte=0x42) + bytes(2), "0x42"),
        (b"\0\0\x08\x00", "0 dimensions"),
        (b"\0\0\x08\x05" + bytes(20), "5 dimensions"),
        (b"\0\0\x08\x03" + bytes(5), "header"),
        (_header([2, 3]) + bytes(5), "truncated"),
        (_header([2, 3]) + bytes(7), "trailing"),
        (_header([2**16, 2**16]), "at most"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_rejects_bad_files(tmp_path, data, words, gz):
    path = _write(tmp_path / "bad.idx", data, gz)
    with pytest.raises(DataError, match=words) as info:
        read_idx(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"missing\.idx"):
        read_idx(tmp_path / "missing.idx")


def test_corrupt_gzip_stream(tmp_path):
    blob = bytearray(gzip.compress(_header([64, 64]) + bytes(range(256)) * 16))
    blob[len(blob) // 2] ^= 0xFF
    with pytest.raises(DataError, match="gzip"):
        read_idx(_write(tmp_path / "corrupt.gz", bytes(blob)))


def test_gzip_bomb_is_refused_without_inflating_it(tmp_path):
    # 64 MiB of zeros compress to ~64 KiB; the header declares 16 bytes, so read_idx must stop
    # after 17 decompressed bytes and call the rest trailing data.
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as out:
        out.write(_header([4, 4]))
        for _ in range(64):
            out.write(bytes(1 << 20))
    with pytest.raises(DataError, match="trailing"):
        read_idx(path)


def test_header_just_over_the_cap_is_refused(tmp_path):
    path = _write(tmp_path / "huge.idx", _header([MAX_PAYLOAD_BYTES + 1]))
    with pytest.raises(DataError, match="at most"):
        read_idx(path)


def test_write_rejects_non_uint8(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        write_idx(tmp_path / "f.idx", np.zeros(3, dtype=np.float32))


# --- fuzzing: whatever the bytes, read_idx returns a valid array or raises DataError ------


def _check_any_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        out = read_idx(path)
    except DataError:
        return
    assert out.dtype == np.uint8 and 1 <= out.ndim <= 4


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), gz=st.booleans(), gzip_magic=st.booleans())
def test_fuzz_random_bytes(tmp_path_factory, data, gz, gzip_magic):
    # gzip_magic prepends 1f 8b so that the gzip header parser itself is fuzzed as well.
    if gz:
        data = gzip.compress(data)
    elif gzip_magic:
        data = b"\x1f\x8b" + data
    _check_any_bytes(tmp_path_factory.mktemp("fuzz") / "f", data)


@settings(max_examples=200, deadline=None)
@given(gz=st.booleans(), cut=st.floats(0, 1, exclude_max=True))
def test_fuzz_truncations_are_rejected(tmp_path_factory, gz, cut):
    path = tmp_path_factory.mktemp("trunc") / "f"
    write_idx(path, SAMPLE)
    whole = gzip.compress(path.read_bytes()) if gz else path.read_bytes()
    path.write_bytes(whole[: int(cut * len(whole))])
    with pytest.raises(DataError):
        read_idx(path)


@settings(max_examples=300, deadline=None)
@given(
    type_byte=st.sampled_from([0x08, 0x08, 0x08, 0x09, 0x0D, 0x00, 0xFF]),
    dims=st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 8), min_size=0, max_size=6),
    payload=st.binary(max_size=64),
    gz=st.booleans(),
)
# Found by this test: an empty array whose other dimensions overflow numpy's size arithmetic
# escaped as numpy's ValueError.
@example(type_byte=0x08, dims=[0, 2**32 - 1, 2**32 - 1], payload=b"", gz=False)
def test_fuzz_random_header_dims(tmp_path_factory, type_byte, dims, payload, gz):
    data = _header(dims, type_byte) + payload
    path = tmp_path_factory.mktemp("dims") / "f"
    path.write_bytes(gzip.compress(data) if gz else data)
    try:
        out = read_idx(path)
    except DataError:
        return
    assert out.shape == tuple(dims) and out.tobytes() == payload
