"""Shared fixtures: where the real MNIST test data lives, if this machine has it."""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import torch

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs the suite in two pytest-xdist processes on a 2-core machine: one
    # intra-op thread each, or the two processes' thread pools fight over the cores (torch
    # then runs several times slower than on one thread).
    torch.set_num_threads(1)


from collections.abc import Callable

import torch

from ganforge.config import RunConfig
from ganforge.data import ImageData
from ganforge.engine.trainer import Trainer
from ganforge.setup.build import make_config

TESTS = Path(__file__).parent
# The slowest files, slowest first. pytest-xdist (`make test`: --dist loadfile
# --no-loadscope-reorder) hands out whole files in collection order, and tests/engine sorts
# early: a slow file handed out at the end keeps one process busy while the other has nothing
# left to do. Seconds of their tests in a `make test` with the real data, on 2 cores:
SLOWEST_FILES = (
    "engine/test_distributed.py",  # 205
    "engine/test_trainer.py",  # 205
    "test_end_to_end.py",  # 125
    "evaluation/test_calibration.py",  # 97
    "test_notebook.py",  # 75 alone (the quickstart notebook 49, the README's snippet 25)
    "cli/test_cli.py",  # 52
    "engine/test_kill_resume.py",  # 44; every other file under 35
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run :data:`SLOWEST_FILES` first, in that order; the rest keep theirs."""

    def rank(item: pytest.Item) -> int:
        name = item.path.relative_to(TESTS).as_posix() if item.path.is_relative_to(TESTS) else ""
        return SLOWEST_FILES.index(name) if name in SLOWEST_FILES else len(SLOWEST_FILES)

    items.sort(key=rank)


# Trains the evaluator in the background (see pytest_configure).
_TRAIN_EVALUATOR = """
import sys
from pathlib import Path
from ganforge.evaluation.classifier import load_evaluator
load_evaluator("mnist", Path(sys.argv[1]), display=False)
"""
EVALUATOR_DONE = "GANFORGE_TEST_EVALUATOR_DONE"  # the file that marks the background one done
EVALUATOR_WAIT = 600  # seconds a worker waits for it (pytest's timeout, 900, counts set-up too)


@pytest.hookimpl(trylast=True)  # after the terminal reporter exists, to say what it does
def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, train the MNIST evaluator once, in a background process of one
    thread, while the workers start on the slowest files (few of whose tests need it).
    Otherwise each worker trains its own, on one thread, when its first test needs it: twice
    the work, and about 100 s of each worker. The ``mnist_evaluator`` fixture waits for it;
    when the process ends, however it ends, a thread here marks it done, so a failed training
    is retried and reported by the fixture. (It starts whatever tests were selected: on 2
    cores a small ``-n 2`` run with the data set pays for it.)

    The workers inherit ``GANFORGE_HOME`` from here: the caller's, or a temporary folder
    (removed at the end) so that tests never write the user's cache.
    """
    workers = getattr(config.option, "numprocesses", None)
    if hasattr(config, "workerinput") or not workers or config.option.collectonly:
        return  # a worker, no workers (the fixture trains it on first use), or no tests run
    data = os.environ.get("GANFORGE_TEST_MNIST_DIR")
    if not data:
        return
    if not os.environ.get("GANFORGE_HOME"):
        home = tempfile.mkdtemp(prefix="ganforge-test-home-")
        os.environ["GANFORGE_HOME"] = home
        config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    done = Path(tempfile.mkdtemp(prefix="ganforge-test-evaluator-")) / "done"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    trainer = subprocess.Popen([sys.executable, "-c", _TRAIN_EVALUATOR, data], env=env)
    threading.Thread(target=lambda: (trainer.wait(), done.touch()), daemon=True).start()
    os.environ[EVALUATOR_DONE] = str(done)

    def stop() -> None:
        trainer.kill()
        trainer.wait()
        shutil.rmtree(done.parent, ignore_errors=True)

    config.add_cleanup(stop)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            "the MNIST evaluator for the tests: loading, or training in the background"
        )


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


@pytest.fixture(params=[0o022, 0o027], ids=["umask022", "umask027"])
def umask(request) -> Callable[[Path], dict[str, str]]:
    """The process's umask set to 0o022, then 0o027, for the test (and restored after). Yields
    ``wrong_modes(folder)``: each file under ``folder`` whose mode is not ``0o666 & ~umask``
    (what any other tool's new file gets), with its mode in octal; {} when all are right."""
    old = os.umask(request.param)
    expected = 0o666 & ~request.param

    def wrong_modes(folder: Path) -> dict[str, str]:
        files = [p for p in sorted(Path(folder).rglob("*")) if p.is_file()]
        assert files, f"no files under {folder}"
        return {
            p.relative_to(folder).as_posix(): oct(p.stat().st_mode & 0o777)
            for p in files
            if p.stat().st_mode & 0o777 != expected
        }

    yield wrong_modes
    os.umask(old)


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

    if marker := os.environ.get(EVALUATOR_DONE):  # being trained in the background: wait
        deadline = time.monotonic() + EVALUATOR_WAIT
        while not Path(marker).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    with pytest.MonkeyPatch.context() as mp:
        if not os.environ.get("GANFORGE_HOME"):
            mp.setenv("GANFORGE_HOME", str(tmp_path_factory.mktemp("ganforge-home")))
        yield load_evaluator("mnist", mnist_dir, display=False)


@pytest.fixture(scope="session")
def digits(mnist_dir: Path, tmp_path_factory) -> dict:
    """Real MNIST digits as the user's own data (see :mod:`tests.digit_folders`): their
    ``images`` and ``labels``, and the ``root`` they were written under."""
    from tests.digit_folders import write_digits

    return write_digits(mnist_dir, tmp_path_factory.mktemp("digits"))


# -- studies (ganforge compare / ablate) with tiny recipes ------------------------------------
@pytest.fixture(scope="session")
def mnist_short_test_dir(mnist_dir: Path, tmp_path_factory) -> Path:
    """``mnist_dir`` with its test split cut to 1,000 images: the same training split (so the
    same cached evaluator), and a score against 1,000 real images takes about a second
    instead of tens (the metrics' nearest-neighbour passes grow with the real set)."""
    from ganforge.data import load_dataset
    from ganforge.data.idx import write_idx

    folder = tmp_path_factory.mktemp("mnist-short-test")
    for train_file in Path(mnist_dir).glob("train-*"):
        (folder / train_file.name).symlink_to(train_file.resolve())
    test = load_dataset("mnist", "test", mnist_dir)
    write_idx(folder / "t10k-images-idx3-ubyte", test.images[:1000].numpy())
    write_idx(folder / "t10k-labels-idx1-ubyte", test.labels[:1000].numpy().astype("uint8"))
    return folder


@pytest.fixture
def tiny_study(one_thread) -> dict:
    """Overrides for every recipe of a test study: the ``gan`` recipe's nets made small (a step
    takes about a millisecond) and 5 steps, so a run is mostly its set-up and outputs; one
    intra-op thread while the test runs (see ``one_thread``)."""
    return {
        "model": {"latent_dim": 8, "g_hidden": [32], "d_hidden": [32]},
        "train": {"steps": 5, "log_every": 1},
    }


@pytest.fixture
def study_recipes(monkeypatch):
    """Registers three recipes for a test study: ``tiny-a`` and ``tiny-b`` (the ``gan``
    recipe under other names) and ``tiny-broken`` (its D step raises); returns their names."""
    from ganforge.models import RECIPES
    from ganforge.models.recipes.gan import GAN

    class TinyA(GAN):
        name = "tiny-a"

    class TinyB(GAN):
        name = "tiny-b"

    class TinyBroken(GAN):
        name = "tiny-broken"

        def discriminator_step_loss(self, real, labels):
            raise RuntimeError("this recipe is broken on purpose")

    for cls in (TinyA, TinyB, TinyBroken):
        monkeypatch.setitem(RECIPES, cls.name, cls)
    return ("tiny-a", "tiny-b", "tiny-broken")


# Trainer fixtures that need no real dataset: tiny random images, tiny networks.
@pytest.fixture(scope="session")
def tiny_data() -> ImageData:
    """128 random 28×28 images in 10 classes: 4 batches of 32, so an epoch is 4 steps."""
    g = torch.Generator().manual_seed(0)
    return ImageData(
        images=torch.randint(0, 256, (128, 28, 28), dtype=torch.uint8, generator=g),
        labels=torch.arange(128) % 10,
        class_names=tuple(str(c) for c in range(10)),
        source="random test images",
        fingerprint="tiny-random-0000",
    )


@pytest.fixture
def tiny_config(one_thread) -> Callable[..., RunConfig]:
    """``tiny_config(model=None, **train)``: the ``gan`` recipe with small dense nets (a step
    takes about a millisecond), batch 32, a log line per step, grids only at the start and the
    end, G at 2e-4 and D at 4e-4 (fixed here: the rollback tests check them halved); ``model``
    adds model settings."""

    def make(model: dict[str, object] | None = None, **train: object) -> RunConfig:
        settings = {"batch_size": 32, "log_every": 1, "epochs": 3, "sample_every": 100, **train}
        nets = {"latent_dim": 8, "g_hidden": [32], "d_hidden": [32], "lr_g": 2e-4, "lr_d": 4e-4}
        nets.update(model or {})
        return make_config("gan", overrides={"train": settings, "model": nets})

    return make


@pytest.fixture
def trainers(monkeypatch) -> list[tuple[Path, bool]]:
    """Every Trainer made from now on, as (run directory, whether it resumes); their progress
    is shown as plain lines."""
    made = []
    init = Trainer.__init__

    def spy(self, cfg, run_dir, data=None, data_dir=None, resume=False, display=None, **more):
        made.append((Path(run_dir), resume))
        init(self, cfg, run_dir, data, data_dir, resume, False, **more)

    monkeypatch.setattr(Trainer, "__init__", spy)
    return made
