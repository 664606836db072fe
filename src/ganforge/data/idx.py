"""Read and write IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is: two zero bytes, a type byte, a dimension count, one big-endian uint32 per
dimension, then the elements in C order. Files may be gzipped. :func:`read_idx` trusts
nothing in the header: whatever bytes it is given, it returns a valid array or raises
:class:`~ganforge.errors.DataError`.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from typing import BinaryIO

import numpy as np

from ganforge.errors import DataError

__all__ = ["MAX_PAYLOAD_BYTES", "read_idx", "write_idx"]

#: Largest payload read_idx accepts; MNIST's largest file holds 47 MB, so 2 GiB only
#: refuses headers that are corrupt or hostile.
MAX_PAYLOAD_BYTES = 2**31

_GZIP_MAGIC = b"\x1f\x8b"
_UINT8 = 0x08
_TYPE_NAMES = {
    0x08: "uint8",
    0x09: "int8",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}
# Payloads are read in bounded chunks so memory grows with the bytes actually present,
# never with what a header merely claims.
_CHUNK = 1 << 20


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a uint8 IDX file, raw or gzipped (detected by its magic bytes, not its name).

    Returns a writable C-contiguous ``uint8`` array shaped like the header's dimensions.
    Raises :class:`DataError` for anything else: a missing or unreadable file, a corrupt
    gzip stream, a bad header, an unsupported element type, or a payload that is shorter
    or longer than the header declares.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below whichever branch runs
    except OSError as exc:
        raise DataError(f"cannot open IDX file {path}: {exc.strerror or exc}") from exc
    with handle:
        try:
            is_gzip = handle.read(2) == _GZIP_MAGIC
            handle.seek(0)
        except OSError as exc:
            raise DataError(f"cannot read IDX file {path}: {exc.strerror or exc}") from exc
        if not is_gzip:
            try:
                return _parse(handle, path)
            except OSError as exc:
                raise DataError(f"cannot read IDX file {path}: {exc.strerror or exc}") from exc
        try:
            with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
                return _parse(stream, path)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"corrupt gzip stream in {path} ({exc}); expected a complete gzipped IDX file"
            ) from exc


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write a uint8 array of 1 to 4 dimensions as an IDX file, gzipped if ``path`` ends in .gz.

    The gzip header carries no timestamp, so equal arrays give byte-identical files.
    """
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"write_idx writes uint8 arrays only, got dtype {array.dtype}")
    if not 1 <= array.ndim <= 4 or any(d >= 2**32 for d in array.shape):
        raise ValueError(f"write_idx needs 1 to 4 dimensions below 2**32, got {array.shape}")
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, _UINT8, array.ndim, *array.shape)
    if os.fspath(path).endswith(".gz"):
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            out.write(header)
            out.write(array.tobytes())
    else:
        with open(path, "wb") as out:
            out.write(header)
            out.write(array.tobytes())


def _parse(stream: BinaryIO, path: str | os.PathLike[str]) -> np.ndarray:
    head = _read_upto(stream, 4)
    if len(head) < 4:
        raise DataError(f"{path} is truncated: {len(head)} bytes, expected a 4-byte IDX header")
    if head[:2] != b"\0\0":
        raise DataError(
            f"{path} is not an IDX file: magic bytes {head[:2].hex(' ')}, expected 00 00"
        )
    if head[2] != _UINT8:
        kind = _TYPE_NAMES.get(head[2], "unknown")
        raise DataError(
            f"{path} holds IDX element type 0x{head[2]:02x} ({kind}); expected 0x08 (uint8)"
        )
    ndim = head[3]
    if not 1 <= ndim <= 4:
        raise DataError(f"{path} declares {ndim} dimensions; expected 1 to 4")
    raw_dims = _read_upto(stream, 4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{path} is truncated inside its header: expected {ndim} dimensions")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    total = math.prod(dims)
    # Refuse before reading: a corrupt header must not make us decompress or allocate more.
    # The other dimensions of an empty array count too: numpy refuses a shape such as
    # (0, 2³², 2³²) whose other dimensions overflow its size arithmetic.
    if (size := math.prod(d for d in dims if d)) > MAX_PAYLOAD_BYTES:
        raise DataError(
            f"{path} declares dimensions {dims} ({size} bytes, zero dimensions left out); "
            f"expected at most {MAX_PAYLOAD_BYTES} bytes"
        )
    # One byte more than declared tells "exactly right" from "trailing bytes".
    payload = _read_upto(stream, total + 1)
    if len(payload) < total:
        raise DataError(
            f"{path} is truncated: {len(payload)} data bytes, expected {total} "
            f"for dimensions {dims}"
        )
    if len(payload) > total:
        raise DataError(
            f"{path} has trailing bytes after the {total} data bytes declared by dimensions {dims}"
        )
    return np.frombuffer(payload, dtype=np.uint8).reshape(dims)


def _read_upto(stream: BinaryIO, size: int) -> bytearray:
    """Read at most ``size`` bytes, stopping at end of stream, in bounded chunks."""
    out = bytearray()
    while len(out) < size:
        chunk = stream.read(min(_CHUNK, size - len(out)))
        if not chunk:
            break
        out += chunk
    return out
