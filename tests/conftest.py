"""Shared fixtures: where the real MNIST test data lives, if this machine has it."""

import os
from pathlib import Path

import pytest
import torch


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Directory of real MNIST IDX files named by GANFORGE_TEST_MNIST_DIR, or skip."""
    value = os.environ.get("GANFORGE_TEST_MNIST_DIR")
    if not value:
        if os.environ.get("GANFORGE_REQUIRE_TEST_DATA") == "1":
            # CI sets this: a missing dataset there is a broken set-up, not a reason to skip.
            pytest.fail("GANFORGE_REQUIRE_TEST_DATA=1 but GANFORGE_TEST_MNIST_DIR is not set")
        pytest.skip("GANFORGE_TEST_MNIST_DIR is not set (a directory of MNIST IDX files)")
    # A set but wrong path is not skipped: the tests then fail and show the misconfiguration.
    return Path(value)


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    """Debian's complete Fashion-MNIST (``apt-get install dataset-fashion-mnist``), or skip."""
    path = Path("/usr/share/datasets/fashion-mnist")
    if not (path / "t10k-labels-idx1-ubyte.gz").exists():
        if os.environ.get("GANFORGE_REQUIRE_TEST_DATA") == "1":
            pytest.fail(f"GANFORGE_REQUIRE_TEST_DATA=1 but {path} is missing")
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    return path


@pytest.fixture(scope="session")
def mnist_train(mnist_dir: Path):
    """The real MNIST training images of ``mnist_dir``."""
    from ganforge.data import load_dataset

    return load_dataset("mnist", "train", data_dir=mnist_dir)


@pytest.fixture(scope="session")
def mnist_small(mnist_train):
    """The first 640 real training images: 20 batches of 32, for fast exact-resume tests."""
    from dataclasses import replace

    return replace(
        mnist_train,
        images=mnist_train.images[:640].clone(),
        labels=mnist_train.labels[:640].clone(),
    )


@pytest.fixture
def one_thread():
    """One intra-op thread for tests of small networks: on a 2-core machine often shared with
    a training run, two threads make such tiny kernels several times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def mnist_evaluator(mnist_dir: Path, tmp_path_factory):
    """The MNIST evaluator, trained once per session (about a minute) in $GANFORGE_HOME, or in
    a session temp folder when that is unset, so the user's cache is not written by tests."""
    from ganforge.evaluation.classifier import load_evaluator

    with pytest.MonkeyPatch.context() as mp:
        if not os.environ.get("GANFORGE_HOME"):
            mp.setenv("GANFORGE_HOME", str(tmp_path_factory.mktemp("ganforge-home")))
        yield load_evaluator("mnist", mnist_dir, display=False)
