"""Hostile ``.npy`` and ``.npz`` files (see ``hostile_arrays.py``) given to ``ganforge
evaluate --samples`` and ``--labels``: each is scored or refused in one line, and a pickle
inside one is never loaded. A uint8 N×28×28 array of enough samples is always scored."""

from __future__ import annotations

import numpy as np
import pytest
from hostile_arrays import ArrayCase, array_cases, npz_cases, write_array_file
from hypothesis import given
from outcomes import check_cli, fuzz

pytestmark = pytest.mark.mnist


def scorable(case: ArrayCase) -> bool:
    """A case evaluate must score: uint8 N×28×28 with N at least 100 (what --n allows)."""
    shape = case.shape
    return (
        case.kind == "array"
        and case.dtype in ("uint8", ">u1")
        and len(shape) == 3
        and (shape[0] >= 100 and shape[1:] == (28, 28))
    )


def evaluate(scratch, mnist_short_test_dir, *files: str) -> str:
    args = ["evaluate", *files, "--dataset", "mnist", "--data-dir", mnist_short_test_dir]
    target = f"arrays: evaluate {' '.join(f for f in files if str(f).startswith('--'))}"
    return check_cli(target, *args, "--out", scratch / "metrics.json")


@fuzz
@given(case=array_cases)
def test_evaluate_hostile_samples(world, case, mnist_evaluator, mnist_short_test_dir):
    with world.example() as scratch:
        marker = scratch / "unpickled"
        samples = write_array_file(case, scratch / "samples.npy", marker)
        outcome = evaluate(scratch, mnist_short_test_dir, "--samples", samples)
        assert not marker.exists(), "a pickle in the samples file was loaded"
        assert outcome == "ok" or not scorable(case)


@fuzz
@given(case=array_cases)
def test_evaluate_hostile_labels(world, case, mnist_evaluator, mnist_short_test_dir):
    with world.example() as scratch:
        marker = scratch / "unpickled"
        samples = scratch / "samples.npy"
        np.save(samples, np.random.default_rng(0).integers(0, 256, (100, 28, 28), np.uint8))
        labels = write_array_file(case, scratch / "labels.npy", marker)
        outcome = evaluate(scratch, mnist_short_test_dir, "--samples", samples, "--labels", labels)
        assert not marker.exists(), "a pickle in the labels file was loaded"
        assert outcome == "refused" or case.kind in ("array", "classes")
        good = case.kind == "classes" and case.shape == (100,) and not case.fortran
        assert outcome == "ok" or not good  # one class 0..9 per sample: scored


@fuzz
@given(case=npz_cases)
def test_evaluate_hostile_npz_archives(world, case, mnist_evaluator, mnist_short_test_dir):
    with world.example() as scratch:
        archive = write_array_file(case, scratch / "samples.npz", scratch / "unpickled")
        evaluate(scratch, mnist_short_test_dir, "--samples", archive)
        labels = scratch / "labels.npz"
        archive.rename(labels)
        np.save(scratch / "ok.npy", np.zeros((100, 28, 28), np.uint8))
        evaluate(scratch, mnist_short_test_dir, "--samples", scratch / "ok.npy", "--labels", labels)
