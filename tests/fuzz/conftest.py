"""The fuzz targets' world, built once per session: a tiny IDX dataset, two real small runs
trained on it (``gan``, unconditional, and ``acgan``, conditional), their checkpoints'
tensors and metadata to mutate, and a folder outside every run that holds the secret.

Each example runs in a scratch folder of its own (the working directory meanwhile), under
the per-example cap, and ends by checking that nothing outside the runs changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import outcomes
import pytest
import torch
from outcomes import EXAMPLES, OUTCOMES, check_cli, example_cap, snapshot
from outside_folder import make_outside

from ganforge.data.idx import write_idx
from ganforge.rundir.atomic import read_safetensors

STEPS = 4  # the base runs' length: one epoch of 128 images in batches of 32
RECIPE_FLAGS = {
    "gan": ["--set", "model.g_hidden=[32]", "--set", "model.d_hidden=[32]"],
    "acgan": [f"--set=model.{k}" for k in ("g_channels=4", "d_channels=4", "embedding_dim=8")],
}
METRICS = {"protocol": "ganforge-eval/1", "fid": 123.4, "kid_mean": 0.05, "precision": 0.5}
METRICS |= {"recall": 0.4, "n_fake": 100, "n_real": 1000}


@dataclass(repr=False)  # its tensors would make hypothesis's reports megabytes long
class FuzzWorld:
    """What every fuzz target works from (see the module)."""

    data_dir: Path  # the tiny training set, as --data-dir
    runs: dict[str, Path]  # the real base runs, never changed
    bases: dict[str, tuple[dict, dict]]  # their last checkpoints: (tensors, metadata)
    outside: Path  # the secret-holding folder outside every run
    scratch: Path
    outside_before: dict[str, str]

    def __repr__(self) -> str:
        return f"FuzzWorld({self.data_dir.parent})"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis's printer
        printer.text(repr(self))

    @contextlib.contextmanager
    def example(self) -> Iterator[Path]:
        """A fresh scratch folder (the working directory meanwhile) for one example, run
        under the per-example cap; afterwards, the outside folder must be as it was."""
        folder = Path(tempfile.mkdtemp(dir=self.scratch))
        cwd = Path.cwd()
        os.chdir(folder)
        try:
            with example_cap():
                yield folder
            assert snapshot(self.outside) == self.outside_before, "a file outside was written"
        finally:
            os.chdir(cwd)
            shutil.rmtree(folder, ignore_errors=True)

    def resume_args(self, run: Path) -> list[str]:
        """``train --resume`` of ``run`` for one more step, on the tiny data set."""
        steps, data = f"--steps={STEPS + 1}", f"--data-dir={self.data_dir}"
        return ["train", "--resume", f"--out={run}", steps, data, "--plain", "--device=cpu"]


@pytest.fixture(scope="session", autouse=True)
def fuzz_one_thread():
    """One intra-op thread: tiny networks on a shared machine (see ``one_thread``)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_data(folder: Path) -> Path:
    """128 random 28×28 images in 10 classes as MNIST's training IDX files."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    images = rng.integers(0, 256, size=(128, 28, 28), dtype=np.uint8)
    write_idx(folder / "train-images-idx3-ubyte", images)
    write_idx(folder / "train-labels-idx1-ubyte", (np.arange(128) % 10).astype(np.uint8))
    return folder


@pytest.fixture(scope="session")
def world(tmp_path_factory, fuzz_one_thread) -> FuzzWorld:
    root = tmp_path_factory.mktemp("fuzz")
    data_dir = tiny_data(root / "data")
    runs, bases = {}, {}
    for recipe, flags in RECIPE_FLAGS.items():
        run = root / "base" / recipe
        args = ["train", recipe, "--data-dir", str(data_dir), "--out", str(run), "--plain"]
        args += ["--steps", str(STEPS), "--batch-size", "32", "--device", "cpu"]
        assert check_cli("base runs", *args, "--set", "model.latent_dim=8", *flags) == "ok"
        (run / "metrics.json").write_text(json.dumps(METRICS))
        runs[recipe] = run
        bases[recipe] = read_safetensors(run / "checkpoints" / "last.safetensors", "checkpoint")
    outside = make_outside(root / "outside", runs["gan"], bases)
    scratch = root / "examples"
    scratch.mkdir()
    return FuzzWorld(data_dir, runs, bases, outside, scratch, snapshot(outside))


def pytest_configure(config) -> None:
    outcomes.CONFIG = config


def pytest_collection_modifyitems(items) -> None:
    """No whole-test timeout for the fuzz targets (a long hunt runs for hours): each example
    has its own cap (:func:`~outcomes.example_cap`)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.timeout(0))


def pytest_terminal_summary(terminalreporter) -> None:
    """Each fuzz target's outcomes: successes and one-line refusals."""
    if not OUTCOMES:
        return
    terminalreporter.section(f"fuzz outcomes (GANFORGE_FUZZ_EXAMPLES={EXAMPLES})")
    for target, counts in sorted(OUTCOMES.items()):
        terminalreporter.write_line(
            f"{target}: {counts['ok']} ok, {counts['refused']} refused in one line"
        )
