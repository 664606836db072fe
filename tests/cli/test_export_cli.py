"""``ganforge export``: a run's generator as a Hub model folder, from the command line; the
folder then serves ``ganforge sample`` as the run does."""

import json

import pytest
import torch
from PIL import Image
from tests.tiny_runs import random_data

from ganforge.engine.trainer import train
from ganforge.setup.build import make_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A one-step run of a small dcgan."""
    data = random_data("tiny-random-cli1")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        nets = {"latent_dim": 8, "g_channels": 8, "d_channels": 8}
        train_cfg = {"steps": 1, "batch_size": 32, "log_every": 1, "seed": 2}
        cfg = make_config("dcgan", overrides={"train": train_cfg, "model": nets})
        out = tmp_path_factory.mktemp("dcgan")
        train(cfg, out, data=data, display=False)
        return out
    finally:
        torch.set_num_threads(threads)


def test_export_writes_the_folder_and_sample_reads_it(run, run_cli, tmp_path):
    out = tmp_path / "model"
    code, err = run_cli("export", str(run), str(out))
    assert code == 0
    for name in ("model.safetensors", "config.json", "grid.png", "README.md"):
        assert f"wrote {out / name}\n" in err
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert run_cli("sample", str(run), "--seed", "4", "--grid", str(a))[0] == 0
    assert run_cli("sample", str(out), "--seed", "4", "--grid", str(b))[0] == 0
    with Image.open(a) as first, Image.open(b) as again:
        assert first.tobytes() == again.tobytes()


def test_a_checkpoint_file_exports_too(run, run_cli, tmp_path):
    code, _ = run_cli("export", str(run / "checkpoints" / "last.safetensors"), str(tmp_path))
    assert code == 0 and (tmp_path / "model.safetensors").is_file()


def test_a_folder_that_is_not_empty_is_one_line(run, run_cli, tmp_path):
    (tmp_path / "x").write_text("")
    code, err = run_cli("export", str(run), str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "not empty" in err and "--force" in err
    assert run_cli("export", str(run), str(tmp_path), "--force")[0] == 0


def test_a_tampered_export_is_one_line(run, run_cli, tmp_path):
    out = tmp_path / "model"
    assert run_cli("export", str(run), str(out))[0] == 0
    config = json.loads((out / "config.json").read_text())
    config["resolution"] = 64
    (out / "config.json").write_text(json.dumps(config))
    code, err = run_cli("sample", str(out), "--grid", str(tmp_path / "g.png"))
    assert code == 2 and err.count("\n") == 1 and "resolution" in err
