"""Loading is safe: a pickle that would run code on load is refused, by name, unrun.

The payload is harmless but observable: unpickling it calls ``open(marker, "w")``, which
creates the marker file. The control test shows the payload is live (an unsafe loader does
create the marker); every ganforge loader must refuse the same bytes without creating it.
"""

import pickle
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.cli import main
from ganforge.engine.trainer import Trainer
from ganforge.errors import CheckpointError, DataError
from ganforge.evaluation.evaluate import load_sample_files
from ganforge.generation import load_model
from ganforge.rundir.checkpoint import load_checkpoint
from ganforge.setup.build import make_config

SRC = Path(__file__).resolve().parents[1] / "src" / "ganforge"


class Payload:
    """Unpickling this creates ``marker``: stands in for any code an attacker would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def torch_pickle(path: Path, marker: Path) -> Path:
    """A torch.save file (a zip around a pickle), as an old-style ``.pt`` checkpoint is."""
    torch.save({"generator": {"weight": torch.zeros(2)}, "hook": Payload(marker)}, path)
    return path


def plain_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps(Payload(marker)))
    return path


def object_npy(path: Path, marker: Path) -> Path:
    """A .npy of dtype object: NumPy stores its items as a pickle."""
    np.save(path, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    return path


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """``ganforge ARGS`` in this process (no interpreter start-up): exit code and stderr."""
    monkeypatch.setattr(sys, "argv", ["ganforge", *args])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code, capsys.readouterr().err


@pytest.mark.parametrize("make", [torch_pickle, plain_pickle, object_npy])
def test_the_payload_is_live(tmp_path, make):
    """Control: an unsafe load of each file runs the payload."""
    marker = tmp_path / "ran"
    path = make(tmp_path / "bomb.npy", marker)
    if make is object_npy:
        np.load(path, allow_pickle=True)
    elif make is torch_pickle:
        torch.load(path, weights_only=False)
    else:
        pickle.loads(path.read_bytes())
    assert marker.exists()
    # And torch's safe mode, the one allowed way to read a non-safetensors file, refuses it.
    if make is torch_pickle:
        marker.unlink()
        with pytest.raises(pickle.UnpicklingError):
            torch.load(path, weights_only=True)
        assert not marker.exists()


@pytest.mark.parametrize("make", [torch_pickle, plain_pickle])
@pytest.mark.parametrize("name", ["model.pt", "last.safetensors"])
def test_checkpoint_loaders_refuse_a_pickle_without_running_it(tmp_path, make, name):
    marker = tmp_path / "ran"
    path = make(tmp_path / name, marker)
    for load in (load_checkpoint, load_model):
        with pytest.raises(CheckpointError, match=re.escape(str(path))) as refused:
            load(path)
        assert "\n" not in str(refused.value)
    assert not marker.exists()


def test_resume_and_run_directory_refuse_a_pickled_last_checkpoint(tmp_path):
    marker = tmp_path / "ran"
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    last = torch_pickle(run / "checkpoints" / "last.safetensors", marker)
    with pytest.raises(CheckpointError, match=re.escape(str(last))):
        load_model(run)
    with pytest.raises(CheckpointError, match=re.escape(str(last))):
        Trainer(make_config("gan"), run, resume=True)
    assert not marker.exists()


@pytest.mark.parametrize("command", ["sample", "evaluate"])
def test_cli_refuses_a_pickled_model_in_one_line(tmp_path, monkeypatch, capsys, command):
    marker = tmp_path / "ran"
    path = torch_pickle(tmp_path / "model.pt", marker)
    code, err = run_cli(monkeypatch, capsys, command, str(path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and str(path) in err, err
    assert "Traceback" not in err
    assert not marker.exists()


@pytest.mark.parametrize("which", ["samples", "labels"])
def test_evaluate_refuses_pickled_npy_by_name(tmp_path, monkeypatch, capsys, which):
    marker = tmp_path / "ran"
    good = tmp_path / "good.npy"
    np.save(good, np.zeros((4, 28, 28), dtype=np.uint8))
    bad = object_npy(tmp_path / f"{which}.npy", marker)
    samples, labels = (bad, None) if which == "samples" else (good, bad)
    with pytest.raises(DataError, match=f"cannot read {which} {re.escape(str(bad))}"):
        load_sample_files(samples, labels)
    args = ["evaluate", "--samples", str(samples), *(["--labels", str(labels)] if labels else [])]
    code, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"cannot read {which}" in err and str(bad) in err, err
    assert not marker.exists()


def test_no_unsafe_loader_anywhere_in_ganforge():
    """Weights are safetensors; anything else may only go through torch.load(weights_only=True)
    and NumPy without pickles."""
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"torch\.load\(([^)]*)\)", text):
            assert "weights_only=True" in call.group(1), f"{path}: {call.group(0)}"
        assert not re.search(r"^\s*(import|from)\s+(c?pickle|dill|joblib)\b", text, re.M), path
        assert "allow_pickle=True" not in text, path
        assert not re.search(r"\bnp\.load\((?![^)]*allow_pickle=False)", text), path
