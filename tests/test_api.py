"""The Python API (``import ganforge as gf``): lazy names, train → Run → Model → images, the
CLI's one-line errors, and ``ganforge --version`` and shell completion."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import ganforge as gf
from ganforge.api.run import as_overrides, train_config
from ganforge.errors import ConfigError

SRC = Path(__file__).resolve().parents[1] / "src"
TINY = {"model.latent_dim": 8, "model.g_hidden": [32], "model.d_hidden": [32]}


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(SRC), **env}
    return subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=120
    )


def test_import_ganforge_is_lazy_and_names_are_documented():
    done = _python(
        "import sys, ganforge; assert 'torch' not in sys.modules; print(ganforge.__all__)"
    )
    assert done.returncode == 0, done.stderr
    for name in gf.__all__:
        value = getattr(gf, name)
        assert name == "__version__" or value.__doc__, f"{name} has no docstring"
    with pytest.raises(AttributeError):
        gf.no_such_name  # noqa: B018


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    g = np.random.default_rng(0)
    np.savez(folder / "digits.npz", images=g.integers(0, 256, (128, 28, 28), dtype=np.uint8))
    torch.set_num_threads(1)
    run = gf.train(
        "gan", data=folder / "digits.npz", steps=4, batch_size=32, out=folder / "run",
        overrides=TINY, progress=False, sample_every=0,
    )  # fmt: skip
    return run


def test_train_returns_a_run_whose_model_samples_in_unit_range(tiny_run):
    assert repr(tiny_run).startswith(f"Run({str(tiny_run.dir)!r}, gan, 4 steps")
    assert tiny_run.result.step == 4 and tiny_run.summary["steps"] == 4
    assert tiny_run._repr_png_().startswith(b"\x89PNG")
    assert gf.open_run(tiny_run.dir).summary == tiny_run.summary
    model = gf.load(tiny_run.dir)
    assert model.recipe == "gan" and "gan on custom" in repr(model)
    x = model.sample(5, seed=3)
    assert x.shape == (5, 1, 28, 28) and x.dtype == torch.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    assert torch.equal(x, tiny_run.model().sample(5, seed=3))  # the same seed, the same images
    assert model.interpolate(0, 1, steps=4).shape == (4, 1, 28, 28)
    assert model._repr_png_().startswith(b"\x89PNG")


def test_grids_save_and_show_as_png(tiny_run, tmp_path):
    x = gf.load(tiny_run.dir).sample(6)
    path = gf.save_grid(x, tmp_path / "g.png", nrow=3)
    assert path.read_bytes().startswith(b"\x89PNG")
    grid = gf.Grid(x)
    assert repr(grid) == "Grid(6 images 1×28×28, 3 a row)"
    assert grid._repr_png_().startswith(b"\x89PNG")


def test_errors_are_the_cli_one_line_errors(tiny_run):
    model = gf.load(tiny_run.dir)
    with pytest.raises(gf.GanforgeError, match="not conditional"):
        model.sample(4, label=3)
    with pytest.raises(ConfigError, match="unknown training option"):
        gf.train("gan", epoch=3)
    with pytest.raises(ConfigError, match="--resume needs --out"):
        gf.train("gan", resume=True)
    with pytest.raises(ConfigError, match="exactly one of RUN_DIR"):
        gf.evaluate()
    with pytest.raises(ConfigError, match=r"--n must be in 100\.\.100,000, got 5"):
        gf.evaluate(tiny_run.dir, n=5)
    with pytest.raises(ConfigError, match="not a run directory"):
        gf.open_run(tiny_run.dir / "samples")


def test_overrides_as_assignments_or_a_mapping_give_the_same_config():
    assert as_overrides(["model.dropout=0.2", "train.epochs=3"]) == as_overrides(
        {"model.dropout": 0.2, "train.epochs": 3}
    )
    with pytest.raises(ConfigError, match=r"SECTION\.KEY=VALUE"):
        as_overrides({"dropout": 0.2})
    cfg = train_config("dcgan", overrides="model.dropout=0.3", epochs=2, lr=1e-4)
    assert (cfg.model.dropout, cfg.train.epochs, cfg.model.lr_g) == (0.3, 2, 1e-4)
    assert "gan" in gf.recipes() and "acgan" in gf.recipes()


def test_version_flag_prints_the_version():
    done = _python(
        "import sys; sys.argv[:] = ['ganforge', '--version']; from ganforge.cli import main; main()"
    )
    assert (done.returncode, done.stdout) == (0, f"ganforge {gf.__version__}\n")


def test_shell_completion_completes_commands_and_flags():
    code = "import sys; sys.argv[0] = 'ganforge'; from ganforge.cli import main; main()"
    env = {"_GANFORGE_COMPLETE": "complete_bash", "COMP_WORDS": "ganforge tr", "COMP_CWORD": "1"}
    assert _python(code, **env).stdout.split() == ["train"]
    env.update(COMP_WORDS="ganforge train --epo", COMP_CWORD="2")
    assert _python(code, **env).stdout.split() == ["--epochs"]
    done = _python(
        "import sys; sys.argv[:] = ['ganforge', '--show-completion', 'bash']; "
        "from ganforge.cli import main; main()"
    )
    assert done.returncode == 0 and "_GANFORGE_COMPLETE" in done.stdout


def test_a_run_with_an_unreadable_summary_still_has_a_repr(tiny_run, tmp_path):
    (tmp_path / "config.yaml").write_bytes((tiny_run.dir / "config.yaml").read_bytes())
    (tmp_path / "summary.json").write_text("{not json", encoding="utf-8")
    assert repr(gf.open_run(tmp_path)) == f"Run({str(tmp_path)!r})"
    with pytest.raises(gf.GanforgeError):
        _ = gf.open_run(tmp_path).summary


def test_a_run_logged_to_mlflow_keeps_the_exported_model(tmp_path, monkeypatch):
    pytest.importorskip("mlflow", reason="the mlflow extra: pip install 'ganforge[mlflow]'")
    from mlflow import MlflowClient

    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(var, raising=False)
    g = np.random.default_rng(1)
    np.savez(tmp_path / "d.npz", images=g.integers(0, 256, (64, 28, 28), dtype=np.uint8))
    run = gf.train(
        "gan", data=tmp_path / "d.npz", steps=2, batch_size=32, out=tmp_path / "run",
        overrides=TINY, progress=False, sample_every=0, log_to="mlflow",
    )  # fmt: skip
    client = MlflowClient(tracking_uri=f"sqlite:///{run.dir / 'mlflow.db'}")
    (logged,) = client.search_runs([client.get_experiment_by_name("ganforge").experiment_id])
    files = {Path(f.path).name for f in client.list_artifacts(logged.info.run_id, "model")}
    assert {"model.safetensors", "config.json", "README.md", "grid.png"} <= files


def test_train_takes_the_data_limit_keywords_of_the_flags(tmp_path):
    """``gf.train(data_limit=..., data_limit_seed=...)``: on unlabelled images, a plain seeded
    subset of the training split (the hold-out's test split untouched)."""
    cfg = train_config("dcgan", data_fraction=0.5, data_limit_seed=3)
    assert (cfg.data_limit, cfg.data_fraction, cfg.data_limit_seed) == (None, 0.5, 3)
    with pytest.raises(ConfigError, match="both given; give one"):
        train_config("dcgan", data_limit=10, data_fraction=0.5)
    g = np.random.default_rng(1)
    np.savez(tmp_path / "flat.npz", images=g.integers(0, 256, (128, 28, 28), dtype=np.uint8))
    run = gf.train(
        "gan", data=tmp_path / "flat.npz", data_limit=64, epochs=2, batch_size=32,
        out=tmp_path / "run", overrides=TINY, progress=False, sample_every=0,
    )  # fmt: skip
    subset = run.summary["data_subset"]
    assert (subset["images"], subset["of"], subset["class_balanced"]) == (64, 115, False)
    assert run.summary["data_split"]["test_images"] == 13 and run.summary["train_images"] == 64
    assert run.summary["steps"] == 4  # 64 images in batches of 32, 2 epochs
