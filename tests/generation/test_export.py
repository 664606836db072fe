"""``export_model``: a run's generator as a Hub model folder, loaded back bit-identically by
``load_model`` and by ``huggingface_hub``'s mixin; a tampered folder refused in one line."""

import json
import re
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from safetensors import safe_open
from safetensors.torch import save_file
from tests.tiny_runs import random_data

from ganforge.engine.trainer import train
from ganforge.errors import CheckpointError, ConfigError
from ganforge.generation import load_model
from ganforge.generation.export import export_model
from ganforge.rundir.checkpoint import recipe_modules, save_checkpoint
from ganforge.setup.build import build_recipe, make_config

SMALL_NETS = {
    "dcgan": {"latent_dim": 8, "g_channels": 8, "d_channels": 8},
    "acgan": {"latent_dim": 8, "g_channels": 8, "d_channels": 8},
}
FILES = {"README.md", "config.json", "grid.png", "model.safetensors"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Two-step runs of a small dcgan (with its weight average) and a small acgan."""
    data = random_data("tiny-random-exp0")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = {}
        for recipe, nets in SMALL_NETS.items():
            train_cfg = {"steps": 2, "batch_size": 32, "log_every": 1, "seed": 3}
            cfg = make_config(recipe, overrides={"train": train_cfg, "model": nets})
            out[recipe] = tmp_path_factory.mktemp(recipe)
            train(cfg, out[recipe], data=data, display=False)
        return out
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def exported(runs, tmp_path_factory) -> dict[str, Path]:
    out = {}
    for recipe, run in runs.items():
        out[recipe] = tmp_path_factory.mktemp(f"{recipe}-export") / "model"
        written = export_model(run, out[recipe])
        assert {p.name for p in written} == FILES
    return out


def labels_for(model, n: int = 20):
    return torch.arange(n) % model.recipe.num_classes if model.conditional else None


@pytest.mark.parametrize("recipe", ["dcgan", "acgan"])
def test_the_export_samples_bit_identically_to_its_run(runs, exported, recipe):
    run, again = load_model(runs[recipe]), load_model(exported[recipe])
    assert again.config == run.config and again.class_names == run.class_names
    for seed in (0, 7):
        want = run.recipe.sample_images(run.latents(seed, 20), labels_for(run))
        got = again.recipe.sample_images(again.latents(seed, 20), labels_for(again))
        assert torch.equal(got, want)


@pytest.mark.parametrize("recipe", ["dcgan", "acgan"])
def test_the_hub_mixin_loads_the_folder_offline_with_the_same_images(
    runs, exported, recipe, monkeypatch
):
    pytest.importorskip("huggingface_hub")
    from ganforge.generation.hub import GanforgeGenerator

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    run = load_model(runs[recipe])
    g = GanforgeGenerator.from_pretrained(str(exported[recipe]), strict=True)
    want = run.recipe.sample_images(run.latents(5, 20), labels_for(run))
    assert torch.equal(g.sample(20, seed=5, labels=labels_for(run)), want)


@pytest.mark.parametrize("recipe", ["dcgan", "acgan"])
def test_the_cards_python_runs_as_written(exported, recipe, tmp_path, monkeypatch):
    """Each Python block of the model card, run with THIS_FOLDER the export (the Hub one
    offline)."""
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    card = (exported[recipe] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", card, flags=re.S)
    assert len(blocks) == 2
    for block in blocks:
        namespace: dict = {}
        exec(block.replace("THIS_FOLDER", str(exported[recipe])), namespace)
        assert namespace["images"].shape[0] == 16
    assert (tmp_path / "grid.png").is_file()


def test_the_weights_are_the_sampling_generator_alone(runs, exported):
    """The weight average's tensors (what sample uses), none of D, optimizers or RNG."""
    want = load_model(runs["dcgan"]).recipe.sampler.state_dict()
    with safe_open(str(exported["dcgan"] / "model.safetensors"), framework="pt") as fh:
        names = fh.keys()
        got = {k.removeprefix("generator."): fh.get_tensor(k) for k in names}
    assert got.keys() == want.keys()
    assert all(torch.equal(got[k], want[k].cpu()) for k in want)


def test_config_json_names_the_model(exported):
    config = json.loads((exported["acgan"] / "config.json").read_text())
    assert config["format"] == "ganforge-export/1" and config["recipe"] == "acgan"
    assert config["latent_dim"] == 8 and config["latent_distribution"] == "normal"
    assert config["num_classes"] == 10 and config["class_names"] == [str(c) for c in range(10)]
    assert config["resolution"] == 28 and config["channels"] == 1
    assert config["dataset"] == "mnist" and config["data_fingerprint"] == "tiny-random-exp0"
    assert config["model"]["g_channels"] == 8 and config["data_range"] == "-1,1"


def front_matter(folder: Path) -> dict:
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_the_card_says_not_evaluated_without_metrics(exported):
    meta = front_matter(exported["dcgan"])
    assert meta["library_name"] == "ganforge" and meta["license"] == "mit"
    assert {"gan", "pytorch", "mnist", "dcgan"} <= set(meta["tags"])
    assert meta["datasets"] == ["ylecun/mnist"] and "metrics" not in meta
    card = (exported["dcgan"] / "README.md").read_text()
    assert "Not evaluated" in card and "](grid.png)" in card
    assert "ganforge train --config config.yaml" in card and "gf.load(" in card


def test_the_card_names_the_runs_metrics(runs, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(runs["dcgan"], run)
    metrics = {
        "protocol": "ganforge-eval/1",
        "evaluator": {"dataset": "mnist", "weights_hash": "abc123", "test_accuracy": 0.99},
        "n_real": 10000,
        "n_fake": 2000,
        "fid": 12.5,
        "precision": 0.7,
        "source": {"checkpoint": str(run / "checkpoints" / "last.safetensors"), "steps": 2},
    }
    (run / "metrics.json").write_text(json.dumps(metrics))
    export_model(run, tmp_path / "out")
    meta = front_matter(tmp_path / "out")
    assert meta["metrics"] == ["fid", "precision"]
    values = meta["model-index"][0]["results"][0]["metrics"]
    assert {m["type"]: m["value"] for m in values} == {"fid": 12.5, "precision": 0.7}
    card = (tmp_path / "out" / "README.md").read_text()
    assert "ganforge-eval/1" in card and "n = 2,000" in card and "abc123" in card


def test_a_folder_that_is_not_empty_is_refused_unless_forced(runs, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match=r"not empty.*--force"):
        export_model(runs["dcgan"], tmp_path)
    export_model(runs["dcgan"], tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert {p.name for p in tmp_path.iterdir()} >= FILES


def test_an_export_is_not_exported_again_nor_into_its_run(runs, exported):
    with pytest.raises(ConfigError, match="exported model already"):
        export_model(exported["dcgan"], exported["dcgan"].parent / "again")
    with pytest.raises(ConfigError, match="folder of its own"):
        export_model(runs["dcgan"], runs["dcgan"], force=True)


def tampered(exported: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(exported, folder)
    return folder


def rewrite_weights(folder: Path, change) -> None:
    path = folder / "model.safetensors"
    with safe_open(str(path), framework="pt") as fh:
        names = fh.keys()
        tensors = {k: fh.get_tensor(k) for k in names}
        meta = fh.metadata()
    change(tensors)
    save_file(tensors, str(path), metadata=meta)


def first_weight(tensors: dict) -> str:
    return next(k for k, v in tensors.items() if v.is_floating_point() and v.dim() > 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.__setitem__(first_weight(t), t[first_weight(t)] * float("nan")), "NaN"),
        (lambda t: t.__setitem__(first_weight(t), t[first_weight(t)][:1]), "expected float"),
        (lambda t: t.__setitem__("discriminator.w", torch.zeros(2)), "not a generator tensor"),
        (lambda t: t.pop(first_weight(t)), "lacks 1 tensor"),
        (lambda t: t.__setitem__(first_weight(t), t[first_weight(t)].to(torch.int8)), "int8"),
    ],
    ids=["nan", "shape", "stray", "missing", "dtype"],
)
def test_tampered_weights_are_refused_in_one_line(exported, tmp_path, change, message):
    folder = tampered(exported["acgan"], tmp_path)
    rewrite_weights(folder, change)
    with pytest.raises(CheckpointError, match=message) as err:
        load_model(folder)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(latent_dim=9), "latent_dim is 9 but the model config says 8"),
        (lambda c: c.update(format="other/1"), "format 'other/1'"),
        (lambda c: c.update(num_classes=-1), "num_classes"),
        (lambda c: c["model"].update(g_channels=9), "expected float"),
        (lambda c: c.update(recipe="nope"), "nope"),
        (lambda c: c.pop("model"), "'model' is missing"),
    ],
    ids=["disagrees", "format", "range", "shape", "recipe", "missing"],
)
def test_a_tampered_config_is_refused_in_one_line(exported, tmp_path, change, message):
    folder = tampered(exported["acgan"], tmp_path)
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=message) as err:
        load_model(folder)
    assert "\n" not in str(err.value)


def test_an_oversized_weights_file_is_refused_before_it_is_read(exported, tmp_path):
    folder = tampered(exported["dcgan"], tmp_path)
    with (folder / "model.safetensors").open("ab") as fh:
        fh.truncate(64 * 2**20)
    with pytest.raises(CheckpointError, match="more than the"):
        load_model(folder)


def test_dcgan_export_is_under_4_mb_at_full_size(tmp_path):
    """The shipped dcgan (float32; its weight average alone) exports in under 4 MB."""
    torch.manual_seed(0)
    cfg = make_config("dcgan")
    recipe = build_recipe(cfg, 10)
    path = tmp_path / "run" / "checkpoints" / "last.safetensors"
    meta = {"recipe": "dcgan", "step": 1, "config": cfg.to_dict(), "num_classes": 10}
    save_checkpoint(path, modules=recipe_modules(recipe, "save"), optimizers={}, meta=meta)
    export_model(tmp_path / "run", tmp_path / "out")
    size = sum(p.stat().st_size for p in (tmp_path / "out").iterdir())
    assert size < 4 * 10**6


def test_an_average_without_statistics_of_its_own_exports_as_it_samples(tmp_path):
    """A checkpoint from before the average kept its own batch-norm statistics: they are
    recomputed as sample recomputes them, and the export holds the recomputed ones."""
    torch.manual_seed(0)
    cfg = make_config("dcgan", overrides={"model": SMALL_NETS["dcgan"]})
    recipe = build_recipe(cfg, 10)
    with torch.no_grad():
        for p in recipe.ema.model.parameters():
            p.add_(0.1)
    path = tmp_path / "run" / "checkpoints" / "last.safetensors"
    meta = {"recipe": "dcgan", "step": 1, "config": cfg.to_dict(), "num_classes": 10}
    save_checkpoint(path, modules=recipe_modules(recipe), optimizers={}, meta=meta)
    export_model(tmp_path / "run", tmp_path / "out")
    run, again = load_model(tmp_path / "run"), load_model(tmp_path / "out")
    want = run.recipe.sample_images(run.latents(1, 16))
    assert torch.equal(again.recipe.sample_images(again.latents(1, 16)), want)
