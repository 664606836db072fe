"""Hypothesis strategies of hostile ``.npy`` and ``.npz`` files for ``ganforge evaluate
--samples`` and ``--labels``: random arrays of any dtype and shape (0-d, empty with huge
dimensions, Fortran order, byte-swapped), object arrays holding a pickle that must never
be loaded, random bytes, ``.npy`` headers that lie, ``.npz`` archives of random keys.

A case is plain data; :func:`write_array_file` writes it. An object array's payload, once
unpickled, creates the file named by ``marker``: its existence after a target ran means
the target loaded a pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hostile_json import weighted
from hypothesis import strategies as st

DTYPES = ["uint8", "int8", "uint16", "int32", "int64", "uint64", "float16", "float32"]
DTYPES += ["float64", "complex64", "bool", "<U3", "S3", "V2", ">u1", ">i8", "datetime64[s]"]
DTYPES += ["struct"]
STRUCT = np.dtype([("a", "u1"), ("b", "f4")])
IMAGE_SHAPES = [(100, 28, 28), (101, 28, 28), (300, 28, 28), (1, 28, 28), (2, 28, 28)]
IMAGE_SHAPES += [(0, 28, 28), (100, 28, 27), (100, 784), (100, 28, 28, 1), (28, 28)]
EMPTY_HUGE = [(0, 2**40), (2**62, 0), (0, 28, 2**31), (2**31, 0, 28)]
FALSE_SHAPES = ["(10**12, 28, 28)", "(-1, 28, 28)", "(2**63, 28, 28)", "()", "(100, 28, 28)"]
FALSE_SHAPES += ["'x'", "(1.5,)", "(100, 28, 28, 0, -5)"]

shapes = weighted(
    (4, st.sampled_from(IMAGE_SHAPES)),
    (2, st.lists(st.integers(0, 6), max_size=4).map(tuple)),
    (1, st.sampled_from(EMPTY_HUGE)),
)


class Payload:
    """Unpickling this creates ``marker``: stands in for any code a stranger would run."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@dataclass(frozen=True)
class ArrayCase:
    """One hostile file: ``kind`` "array" (``dtype``, ``shape``, values from ``seed``,
    ``fortran`` order), "classes" (labels 0..9 of ``dtype`` and ``shape``, one of them out of
    range with ``fortran``), "object" (an object array of payloads), "bytes" (``data`` as is),
    "header" (a ``.npy`` whose header claims ``header``), or "npz" (``arrays``: name,
    dtype, shape)."""

    kind: str
    dtype: str = "uint8"
    shape: tuple = ()
    seed: int = 0
    fortran: bool = False
    data: bytes = b""
    header: str = ""
    arrays: tuple = ()


array_cases = st.one_of(
    st.builds(
        ArrayCase,
        kind=st.just("array"),
        dtype=weighted((3, st.just("uint8")), (2, st.sampled_from(DTYPES))),
        shape=shapes,
        seed=st.integers(0, 2**16),
        fortran=st.booleans(),
    ),
    st.builds(  # class labels, mostly one per sample of a 100-image file, some out of range
        ArrayCase,
        kind=st.just("classes"),
        dtype=st.sampled_from(["int64", "uint8", ">i4", "int8", "uint64", "int32"]),
        shape=weighted((4, st.just((100,))), (1, st.sampled_from([(99,), (100, 1), (0,), ()]))),
        seed=st.integers(0, 2**16),
        fortran=st.booleans(),  # here: one label of -1 or 10, out of range
    ),
    st.builds(ArrayCase, kind=st.just("object"), shape=st.sampled_from([(1,), (2, 2), ()])),
    st.builds(ArrayCase, kind=st.just("bytes"), data=st.binary(max_size=300)),
    st.builds(
        ArrayCase,
        kind=st.just("header"),
        dtype=st.sampled_from(["|u1", "<f4", "|O", "<i8", "x"]),
        header=st.sampled_from(FALSE_SHAPES),
        data=st.binary(max_size=64),
    ),
)
npz_cases = st.builds(
    ArrayCase,
    kind=st.just("npz"),
    arrays=st.lists(
        st.tuples(st.text(min_size=1, max_size=8), st.sampled_from(DTYPES[:8]), shapes),
        max_size=3,
    ).map(tuple),
)


def random_array(dtype: str, shape: tuple, seed: int) -> np.ndarray:
    """An array of ``dtype`` and ``shape`` (at most a million elements drawn, the rest of a
    bigger shape being impossible here) with values from ``seed``."""
    rng = np.random.default_rng(seed)
    dt = STRUCT if dtype == "struct" else np.dtype(dtype)
    n = int(np.prod(shape, dtype=object))
    if n > 10**6:
        shape, n = (0,), 0
    raw = rng.integers(0, 256, size=n * dt.itemsize, dtype=np.uint8).tobytes()
    array = np.frombuffer(raw, dtype=dt).copy() if dt.itemsize else np.zeros(n, dt)
    try:
        return array.reshape(shape)
    except ValueError:  # an empty shape whose other dimensions NumPy cannot hold
        return array


def write_array_file(case: ArrayCase, path: Path, marker: Path) -> Path:
    """``case`` written at ``path``."""
    if case.kind == "array":
        array = random_array(case.dtype, case.shape, case.seed)
        np.save(path, np.asfortranarray(array) if case.fortran else array)
    elif case.kind == "classes":
        labels = np.random.default_rng(case.seed).integers(0, 10, size=case.shape)
        if case.fortran and labels.size:
            labels.flat[0] = -1 if case.dtype.startswith(("int", ">i")) else 10
        np.save(path, labels.astype(case.dtype))
    elif case.kind == "object":
        items = np.empty(case.shape, dtype=object)
        for index in np.ndindex(case.shape):
            items[index] = Payload(str(marker))
        np.save(path, items, allow_pickle=True)
    elif case.kind == "bytes":
        path.write_bytes(case.data)
    elif case.kind == "header":
        head = f"{{'descr': '{case.dtype}', 'fortran_order': False, 'shape': {case.header}, }}"
        head = head.ljust(118) + "\n"
        path.write_bytes(b"\x93NUMPY\x01\x00" + len(head).to_bytes(2, "little") + head.encode())
        with open(path, "ab") as fh:
            fh.write(case.data)
    else:
        arrays = {name: random_array(d, s, 0) for name, d, s in case.arrays}
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
    return path
