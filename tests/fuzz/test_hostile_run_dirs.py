"""Hostile run folders (see ``hostile_runs.py``) given to ``ganforge sample``, ``ganforge
evaluate``, ``ganforge train --resume`` and the studio: each succeeds or refuses in one line,
shows nothing from outside the run and writes nothing there; the real run, unchanged, always
succeeds."""

from __future__ import annotations

import shutil
from urllib.parse import quote

import pytest
from hostile_runs import RunCase, run_cases
from hypothesis import given
from outcomes import check_cli, check_response, fuzz
from run_folders import build_run
from starlette.testclient import TestClient

from ganforge.studio.app import create_app


def pristine(case: RunCase) -> bool:
    return not case.changes


def build(world, case: RunCase, scratch):
    root = scratch / "runs"
    root.mkdir()
    return build_run(case, world.runs[case.base], root, world.outside, world.bases)


@fuzz
@given(case=run_cases)
def test_sample_from_a_hostile_run(world, case):
    with world.example() as scratch:
        run = build(world, case, scratch)
        outcome = check_cli("run folder: sample", "sample", run, "--n", "4")
        assert outcome == "ok" or not pristine(case)


@pytest.mark.mnist
@fuzz
@given(case=run_cases)
def test_evaluate_a_hostile_run(world, case, mnist_evaluator, mnist_short_test_dir):
    with world.example() as scratch:
        run = build(world, case, scratch)
        args = ["evaluate", run, "--n", "100", "--dataset", "mnist"]
        outcome = check_cli("run folder: evaluate", *args, "--data-dir", mnist_short_test_dir)
        assert outcome == "ok" or not pristine(case)


@fuzz
@given(case=run_cases)
def test_resume_a_hostile_run(world, case):
    with world.example() as scratch:
        run = build(world, case, scratch)
        outcome = check_cli("run folder: train --resume", *world.resume_args(run), progress=True)
        assert outcome == "ok" or not pristine(case)


def studio_urls(client: TestClient, name: str) -> list[str]:
    """What the page asks of a run: its page, digits, interpolations, comparison, and every
    picture its page lists (or that a run usually has)."""
    run = f"/api/runs/{quote(name, safe='')}"
    page = client.get(run)
    detail = page.json() if page.status_code == 200 else {}
    samples = {"epoch_0000.png", "epoch_0001.png"}
    samples |= {g["name"] for g in detail.get("grids", [])} | set(detail.get("final_figures", []))
    plots = {"loss_per_batch.png", *detail.get("plots", [])}
    return [
        "/api/runs",
        run,
        f"{run}/generate?n=4",
        f"{run}/generate?n=2&format=json&checkpoint=epoch_0001.safetensors",
        f"{run}/interpolate?steps=3&format=json",
        f"{run}/progress.gif",
        *(f"{run}/samples/{quote(f)}" for f in sorted(samples)),
        *(f"{run}/plots/{quote(f)}" for f in sorted(plots)),
        f"/api/compare?run={quote(name, safe='')}&run=other&n=4",
    ]


@fuzz
@given(case=run_cases)
def test_the_studio_over_a_hostile_run(world, case):
    with world.example() as scratch:
        run = build(world, case, scratch)
        shutil.copytree(world.runs["acgan" if case.base == "gan" else "gan"], run.parent / "other")
        client = TestClient(create_app(run.parent), base_url="http://127.0.0.1")
        outcomes = [
            check_response("run folder: studio", client.get(url))
            for url in studio_urls(client, run.name)
        ]
        assert outcomes[0] == "ok"  # the list never fails for one bad run
        assert "refused" not in outcomes or not pristine(case) or case.name != "run"
