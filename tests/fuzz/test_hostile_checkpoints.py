"""Hostile checkpoints (see ``hostile_checkpoints.py``) given to ``ganforge sample``, ``ganforge
evaluate``, ``ganforge train --resume`` and the studio: each succeeds or refuses in one line;
the real checkpoint, unchanged, always succeeds."""

from __future__ import annotations

import shutil

import pytest
from checkpoint_files import write_checkpoint
from hostile_checkpoints import CheckpointCase, checkpoint_cases
from hypothesis import given
from outcomes import check_cli, check_response, fuzz
from starlette.testclient import TestClient

from ganforge.studio.app import create_app


def pristine(case: CheckpointCase) -> bool:
    return not (case.meta or case.tensors or case.file)


@fuzz
@given(case=checkpoint_cases)
def test_sample_from_a_hostile_checkpoint(world, case):
    with world.example() as scratch:
        ckpt = write_checkpoint(case, world.bases[case.base], scratch / "model.safetensors")
        grid = scratch / "grid.png"
        outcome = check_cli("checkpoint: sample", "sample", ckpt, "--n", "4", "--grid", grid)
        assert outcome == "refused" or grid.is_file()
        assert outcome == "ok" or not pristine(case)


@pytest.mark.mnist
@fuzz
@given(case=checkpoint_cases)
def test_evaluate_a_hostile_checkpoint(world, case, mnist_evaluator, mnist_short_test_dir):
    with world.example() as scratch:
        ckpt = write_checkpoint(case, world.bases[case.base], scratch / "model.safetensors")
        args = ["evaluate", ckpt, "--n", "100", "--dataset", "mnist"]
        args += ["--data-dir", mnist_short_test_dir, "--out", scratch / "metrics.json"]
        outcome = check_cli("checkpoint: evaluate", *args)
        assert outcome == "ok" or not pristine(case)


@fuzz
@given(case=checkpoint_cases)
def test_resume_from_a_hostile_checkpoint(world, case):
    with world.example() as scratch:
        run = scratch / "run"
        shutil.copytree(world.runs[case.base], run)
        write_checkpoint(case, world.bases[case.base], run / "checkpoints" / "last.safetensors")
        outcome = check_cli("checkpoint: train --resume", *world.resume_args(run), progress=True)
        assert outcome == "ok" or not pristine(case)


@fuzz
@given(case=checkpoint_cases)
def test_the_studio_over_a_hostile_checkpoint(world, case):
    with world.example() as scratch:
        root = scratch / "runs"
        other = "acgan" if case.base == "gan" else "gan"
        shutil.copytree(world.runs[case.base], root / "hostile")
        shutil.copytree(world.runs[other], root / "other")
        write_checkpoint(
            case, world.bases[case.base], root / "hostile" / "checkpoints" / "x.safetensors"
        )
        write_checkpoint(
            case, world.bases[case.base], root / "hostile" / "checkpoints" / "last.safetensors"
        )
        client = TestClient(create_app(root), base_url="http://127.0.0.1")
        run = "/api/runs/hostile"
        urls = [
            "/api/runs",
            run,
            f"{run}/generate?n=4",
            f"{run}/generate?n=3&seed=5&format=json&checkpoint=x.safetensors",
            f"{run}/interpolate?steps=3&format=json",
            "/api/compare?run=hostile&run=other&n=4",
        ]
        outcomes = [check_response("checkpoint: studio", client.get(url)) for url in urls]
        assert outcomes[:2] == ["ok", "ok"]  # the run is listed and shown whatever its checkpoint
        assert "refused" not in outcomes or not pristine(case)
