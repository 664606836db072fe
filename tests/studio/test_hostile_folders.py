"""The studio over a runs folder holding hostile runs: nothing outside the runs folder is
ever sent, a bad file is a 4xx or is left out, and a refused checkpoint is read once."""

import json
import os
import shutil
from pathlib import Path

import pytest
from safetensors.torch import save_file
from starlette.testclient import TestClient

from ganforge.engine.trainer import Trainer
from ganforge.rundir.atomic import read_safetensors
from ganforge.studio.app import create_app

SECRET = "the secret outside the runs folder"


@pytest.fixture(scope="module")
def base_run(tmp_path_factory, tiny_data) -> Path:
    """A real finished run of a small gan on random images (4 steps)."""
    import torch

    from ganforge.setup.build import make_config

    nets = {"latent_dim": 8, "g_hidden": [32], "d_hidden": [32]}
    cfg = make_config("gan", overrides={"model": nets, "train": {"batch_size": 32, "steps": 4}})
    run = tmp_path_factory.mktemp("base") / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Trainer(cfg, run, data=tiny_data, display=False).run()
    finally:
        torch.set_num_threads(threads)
    return run


@pytest.fixture
def root(tmp_path, base_run) -> Path:
    """``tmp/runs/`` holding a copy of the run as ``run``, and ``tmp/secret.txt`` beside it."""
    runs = tmp_path / "runs"
    shutil.copytree(base_run, runs / "run")
    (tmp_path / "secret.txt").write_text(SECRET)
    return runs


def client(root: Path) -> TestClient:
    return TestClient(create_app(root), base_url="http://127.0.0.1")


def no_secret(response) -> None:
    assert SECRET not in response.text
    assert response.status_code < 500, response.text


def test_a_config_symlinked_out_is_never_sent(root) -> None:
    (root / "run" / "config.yaml").unlink()
    os.symlink(root.parent / "secret.txt", root / "run" / "config.yaml")
    api = client(root)
    for url in ("/api/runs", "/api/runs/run"):
        no_secret(api.get(url))
    assert api.get("/api/runs").json()["runs"] == []
    assert api.get("/api/runs/run").status_code == 404


def test_files_symlinked_out_are_left_out_of_the_page(root) -> None:
    run = root / "run"
    os.symlink(root.parent / "secret.txt", run / "metrics.json")
    (run / "metrics" / "epochs.csv").unlink()
    os.symlink(root.parent / "secret.txt", run / "metrics" / "epochs.csv")
    shutil.rmtree(run / "plots")
    os.symlink(root.parent, run / "plots")
    page = client(root).get("/api/runs/run")
    no_secret(page)
    assert page.status_code == 200
    assert page.json()["plots"] == [] and page.json()["losses"]["epochs"] == []
    assert page.json()["losses"]["batches"]  # the rest of the run is still shown


@pytest.mark.parametrize(
    "name, content",
    [
        ("summary.json", '{"recipe": 1}'),
        ("summary.json", "[" * 100_000),
        ("metrics.json", "{" * 50 + "}" * 50),
        ("config.yaml", "a: &x [1]\nb: *x\n"),
        ("metrics/batches.csv", "\x00" * 1000),
    ],
)
def test_a_file_of_the_wrong_shape_is_left_out(root, name, content) -> None:
    (root / "run" / name).write_text(content)
    api = client(root)
    for url in ("/api/runs", "/api/runs/run"):
        no_secret(api.get(url))


def test_a_hostile_checkpoint_is_a_409_read_once(root) -> None:
    last = root / "run" / "checkpoints" / "last.safetensors"
    tensors, meta = read_safetensors(last, "checkpoint")
    save_file(tensors, str(last), {"ganforge": json.dumps({**meta, "num_classes": "ten"})})
    app = create_app(root)
    api = TestClient(app, base_url="http://127.0.0.1")
    answers = [api.get("/api/runs/run/generate", params={"n": 4}) for _ in range(3)]
    assert [a.status_code for a in answers] == [409] * 3
    assert "'num_classes' must be" in answers[0].json()["error"]
    assert app.state.api.cache.loads == 1
