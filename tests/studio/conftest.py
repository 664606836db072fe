"""Real runs for the studio's tests, trained once per session on the MNIST subset: a tiny
comparison (``gan`` and ``acgan``, one seed, 5 steps each, scored at n = 100) as
``ganforge compare`` writes it, and a tiny ``gan`` run of its own beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

STEPS = {"train": {"steps": 5, "log_every": 1}}
STUDY, SOLO = "cmp", "solo/gan-tiny"


@pytest.fixture(scope="session")
def studio_root(tmp_path_factory, mnist_dir, mnist_short_test_dir, mnist_evaluator) -> Path:
    """A runs folder holding ``cmp/`` (a real ``ganforge compare`` output folder: runs
    ``cmp/gan/seed0`` and ``cmp/acgan/seed0``, results.json, report.html) and
    ``solo/gan-tiny`` (a run of a small gan outside any study)."""
    from ganforge.data import load_dataset
    from ganforge.engine.trainer import train
    from ganforge.experiments.comparison_results import run_compare
    from ganforge.setup.build import make_config

    root = tmp_path_factory.mktemp("studio-runs")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small nets on a shared 2-core machine
    try:
        run_compare(
            ["gan", "acgan"],
            root / STUDY,
            seeds=1,
            data_dir=mnist_short_test_dir,
            eval_samples=100,
            curve_samples=100,
            device="cpu",
            overrides=STEPS,
            display=False,
        )
        nets = {"latent_dim": 8, "g_hidden": [32], "d_hidden": [32]}
        cfg = make_config("gan", overrides={"model": nets, **STEPS})
        data = load_dataset("mnist", "train", mnist_dir)
        train(cfg, root / SOLO, data=data, display=False)
    finally:
        torch.set_num_threads(threads)
    return root
