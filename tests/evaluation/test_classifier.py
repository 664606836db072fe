"""The evaluator: its network, its training on real MNIST, its verified cache, its command."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from typer.testing import CliRunner

from ganforge.cli import evaluator as evaluator_cli
from ganforge.data import load_dataset, write_idx
from ganforge.errors import CheckpointError, ConfigError, GanforgeError
from ganforge.evaluation import classifier, classifier_cache
from ganforge.evaluation.classifier import (
    Evaluator,
    EvaluatorNet,
    evaluator_path,
    load_evaluator,
    train_evaluator,
    weights_hash,
)

# ---------------------------------------------------------------------------------------------
# the network alone: no data needed


def test_net_shapes_and_penultimate_features(one_thread):
    torch.manual_seed(0)
    net = EvaluatorNet().eval()
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        features, logits = net.embed(x)
        assert features.shape == (5, EvaluatorNet.num_features) == (5, 128)
        assert logits.shape == (5, 10)
        assert (features >= 0).all()  # after the ReLU
        torch.testing.assert_close(net(x), logits)
        torch.testing.assert_close(net.head(features), logits)


def test_weights_hash_follows_every_tensor(one_thread):
    torch.manual_seed(0)
    net = EvaluatorNet()
    before = weights_hash(net)
    assert len(before) == 16 and int(before, 16) >= 0
    assert weights_hash(net) == before
    with torch.no_grad():
        net.features[1].running_mean[0] += 1  # a buffer counts as much as a parameter
    assert weights_hash(net) != before


# ---------------------------------------------------------------------------------------------
# training mechanics on a tiny synthetic dataset (fast)


@pytest.fixture
def tiny_dir(tmp_path, monkeypatch) -> Path:
    """A folder of MNIST-named IDX files holding 256 noise training images and 64 test ones,
    with GANFORGE_HOME set to an empty folder."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    folder = tmp_path / "tiny"
    folder.mkdir()
    for prefix, n in (("train", 256), ("t10k", 64)):
        write_idx(
            folder / f"{prefix}-images-idx3-ubyte",
            rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
        )
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    return folder


def test_training_is_deterministic_and_leaves_global_rng_alone(tiny_dir, one_thread):
    torch.manual_seed(123)
    state = torch.get_rng_state()
    first = train_evaluator("mnist", tiny_dir, epochs=1, seed=5, display=False)
    assert torch.equal(torch.get_rng_state(), state)
    second = train_evaluator("mnist", tiny_dir, epochs=1, seed=5, display=False)
    other = train_evaluator("mnist", tiny_dir, epochs=1, seed=6, display=False)
    assert first.weights_hash == second.weights_hash != other.weights_hash
    assert not first.net.training
    assert next(first.net.parameters()).device.type == "cpu"


def test_progress_plain_lines_or_silence(tiny_dir, one_thread, capsys):
    train_evaluator("mnist", tiny_dir, epochs=2, display=None)  # stderr is not a terminal here
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "test accuracy" in err
    train_evaluator("mnist", tiny_dir, epochs=1, display=False)
    assert capsys.readouterr().err == ""


class _FirstStep(Exception):
    pass


@pytest.mark.parametrize("display", [None, True])  # plain lines (not a terminal), the bar
def test_progress_says_what_why_and_where_before_the_first_step(
    tiny_dir, one_thread, capsys, monkeypatch, display
):
    """Before any training step: the line saying what is trained, that it happens once, and
    where it is cached (and, as a bar, the bar at 0 of its steps)."""

    def first_step(self, x):
        raise _FirstStep

    monkeypatch.setattr(EvaluatorNet, "forward", first_step)
    with pytest.raises(_FirstStep):
        train_evaluator("mnist", tiny_dir, epochs=2, display=display)
    err = capsys.readouterr().err
    path = evaluator_path("mnist", load_dataset("mnist", "train", tiny_dir).fingerprint)
    first = err.strip().splitlines()[0]
    assert first.startswith("training the MNIST evaluator once (")
    assert "2 epochs over 256 images" in first and "every metric uses" in first
    assert first.endswith(f"cached at {path}")
    if display:
        assert "training the mnist evaluator" in err and "0/4" in err  # 2 epochs of 2 batches


def test_embed_checks_its_input(tiny_dir, one_thread):
    evaluator = train_evaluator("mnist", tiny_dir, epochs=1, display=False)
    with pytest.raises(ValueError, match="uint8"):
        evaluator.embed(torch.rand(2, 28, 28))
    with pytest.raises(ValueError, match="N×28×28"):
        evaluator.embed(torch.zeros(2, 32, 32, dtype=torch.uint8))
    features, logits = evaluator.embed(torch.zeros(0, 28, 28, dtype=torch.uint8))
    assert features.shape == (0, 128) and logits.shape == (0, 10)


def test_cli_train_keeps_the_cache_unless_forced(tiny_dir, one_thread):
    runner = CliRunner()
    args = ["train", "--data-dir", str(tiny_dir), "--epochs", "1"]
    first = runner.invoke(evaluator_cli.app, args)
    assert first.exit_code == 0, first.output
    assert "weights hash" in first.output and "test accuracy" in first.output
    again = runner.invoke(evaluator_cli.app, args)
    assert again.exit_code == 0 and "already trained" in again.output
    refused = runner.invoke(evaluator_cli.app, [*args, "--seed", "3"])
    assert isinstance(refused.exception, ConfigError) and "--force" in str(refused.exception)
    forced = runner.invoke(evaluator_cli.app, [*args, "--seed", "3", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "seed 3" in forced.output
    assert _weights_hash(forced.output) != _weights_hash(first.output)


def _weights_hash(output: str) -> str:
    return next(line.split()[-1] for line in output.splitlines() if "weights hash" in line)


def test_cli_help_has_examples():
    result = CliRunner().invoke(evaluator_cli.app, ["train", "--help"])
    assert result.exit_code == 0 and "ganforge evaluator train --dataset fashion-mnist" in (
        result.output
    )


# ---------------------------------------------------------------------------------------------
# the real evaluator, trained once on real MNIST (about a minute on two CPU cores)


@pytest.fixture(scope="module")
def trained(mnist_evaluator) -> Evaluator:
    """The session's MNIST evaluator (trained once, shared with the other evaluation tests)."""
    return mnist_evaluator


@pytest.fixture
def home_copy(trained, tmp_path, monkeypatch) -> Path:
    """GANFORGE_HOME set to a private copy of the trained evaluator's home (tests may damage
    it); returns the copied cache file."""
    home = tmp_path / "home"
    shutil.copytree(trained.path.parent.parent, home)
    monkeypatch.setenv("GANFORGE_HOME", str(home))
    return home / "evaluators" / trained.path.name


@pytest.mark.mnist
def test_real_test_accuracy_at_least_99_percent(trained, mnist_dir):
    test = load_dataset("mnist", "test", data_dir=mnist_dir)
    accuracy = float((trained.predict(test.images) == test.labels).double().mean())
    assert accuracy >= 0.99
    assert accuracy == pytest.approx(trained.test_accuracy, abs=1e-6)


@pytest.mark.mnist
def test_embed_shapes_dtypes_and_penultimate_layer(trained, mnist_train):
    images = mnist_train.images[:1500]  # more than one internal batch
    features, logits = trained.embed(images)
    assert features.shape == (1500, 128) and logits.shape == (1500, 10)
    assert features.dtype == logits.dtype == torch.float32
    assert features.device.type == logits.device.type == "cpu"
    assert (features >= 0).all()
    with torch.no_grad():
        torch.testing.assert_close(trained.net.head(features), logits, rtol=1e-4, atol=1e-4)
    features_4d, _ = trained.embed(images.unsqueeze(1))
    torch.testing.assert_close(features_4d, features)
    assert torch.equal(trained.predict(images), logits.argmax(1))


@pytest.mark.mnist
def test_identity_and_cache_file(trained, mnist_train, home_copy):
    assert trained.identity() == {
        "dataset": "mnist",
        "data_fingerprint": mnist_train.fingerprint,
        "weights_hash": trained.weights_hash,
        "test_accuracy": trained.test_accuracy,
    }
    assert trained.weights_hash == weights_hash(trained.net)
    assert evaluator_path("mnist", mnist_train.fingerprint) == home_copy
    assert home_copy.is_file() and trained.path.is_file()
    assert not [p for p in home_copy.parent.iterdir() if p.name.startswith(".")]  # no temp files
    with safe_open(str(home_copy), framework="pt") as fh:
        meta = fh.metadata()["ganforge"]
    for field in ("ganforge-evaluator/1", trained.weights_hash, "test_fingerprint", "torch"):
        assert field in meta


@pytest.mark.mnist
def test_load_uses_the_cache_without_retraining(trained, mnist_dir, home_copy, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("load_evaluator retrained a cached evaluator")

    monkeypatch.setattr(classifier, "train_evaluator", no_training)
    monkeypatch.setattr(classifier_cache, "_LOADED", {})  # force a read from disk
    loaded = load_evaluator("mnist", mnist_dir)
    assert loaded.path == home_copy
    assert loaded.identity() == trained.identity()
    assert load_evaluator("mnist", mnist_dir) is loaded  # in-process cache
    test = load_dataset("mnist", "test", data_dir=mnist_dir)
    assert torch.equal(loaded.predict(test.images[:500]), trained.predict(test.images[:500]))


@pytest.mark.mnist
def test_tampered_cache_is_refused(mnist_dir, home_copy):
    load_evaluator("mnist", mnist_dir, train_if_missing=False)  # fill the in-process cache
    with safe_open(str(home_copy), framework="pt") as fh:
        metadata = fh.metadata()
        tensors = {key: fh.get_tensor(key) for key in fh.keys()}  # noqa: SIM118
    tensors["head.bias"][3] += 0.01
    tampered = home_copy.with_name("tampered.safetensors")
    save_file(tensors, str(tampered), metadata=metadata)
    os.replace(tampered, home_copy)
    with pytest.raises(CheckpointError, match="corrupt or modified evaluator") as err:
        load_evaluator("mnist", mnist_dir, train_if_missing=False)
    assert str(home_copy) in str(err.value)


@pytest.mark.mnist
@pytest.mark.parametrize("damage", ["truncated", "not safetensors"])
def test_unreadable_cache_is_refused(mnist_dir, home_copy, damage):
    data = home_copy.read_bytes()
    home_copy.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"PK\x03\x04junk")
    with pytest.raises(CheckpointError) as err:
        load_evaluator("mnist", mnist_dir)
    assert str(home_copy) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.mnist
def test_missing_evaluator_without_training_says_how(mnist_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "empty"))
    with pytest.raises(GanforgeError, match="ganforge evaluator train --dataset mnist"):
        load_evaluator("mnist", mnist_dir, train_if_missing=False)
