"""The studio reads ``summary.json`` through its one schema: a summary of the wrong shape
shows as none, and every fact shown is a field of it."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil

import pytest
from starlette.testclient import TestClient

from ganforge.experiments.study_results import RUN_FACTS
from ganforge.rundir.summary import RunSummary
from ganforge.studio.app import create_app
from ganforge.studio.runs import SUMMARY_FACTS

SOLO = "solo/gan-tiny"  # a run the studio_root fixture trains (conftest.py)


def test_the_facts_shown_are_fields_of_the_summary():
    names = {f.name for f in dataclasses.fields(RunSummary)}
    assert set(SUMMARY_FACTS) <= names and set(RUN_FACTS) <= names


@pytest.mark.mnist
@pytest.mark.usefixtures("one_thread")
def test_a_summary_of_the_wrong_shape_shows_as_none(studio_root, tmp_path):
    run = tmp_path / "runs" / "odd"
    shutil.copytree(studio_root / SOLO, run)
    client = TestClient(create_app(tmp_path / "runs"), base_url="http://127.0.0.1")
    page = client.get("/api/runs/odd").json()
    assert page["steps"] > 0 and page["summary"]["params_g"] > 0 and page["final_losses"]
    data = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**data, "steps": "many"}))
    [listed] = client.get("/api/runs").json()["runs"]
    assert listed["steps"] is None and listed["recipe"] == data["recipe"]  # from config.yaml
    page = client.get("/api/runs/odd").json()
    assert page["summary"] == {} and page["final_losses"] == {} and page["epochs"] is None


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifos_among_a_runs_files_read_as_absent_at_once(tmp_path):
    """Found by tests/fuzz: a FIFO for metrics/batches.csv (or summary.json, a grid) made
    the run's page wait forever for a writer."""
    run = tmp_path / "runs" / "fifos"
    (run / "metrics").mkdir(parents=True)
    (run / "samples").mkdir()
    (run / "config.yaml").write_text("recipe: gan\ndataset: mnist\n")
    (run / "checkpoints").mkdir()
    for name in ("summary.json", "metrics.json", "metrics/batches.csv", "samples/epoch_0001.png"):
        os.mkfifo(run / name)
    client = TestClient(create_app(tmp_path / "runs"), base_url="http://127.0.0.1")
    page = client.get("/api/runs/fifos")
    assert page.status_code == 200
    assert page.json()["losses"]["batches"] == [] and page.json()["grids"] == []
    assert page.json()["steps"] is None and page.json()["recipe"] == "gan"
    assert client.get("/api/runs/fifos/samples/epoch_0001.png").status_code == 404


@pytest.mark.mnist
@pytest.mark.usefixtures("one_thread")
def test_a_run_on_a_subset_says_its_size_and_a_hostile_one_shows_none(studio_root, tmp_path):
    run = tmp_path / "runs" / "small"
    shutil.copytree(studio_root / SOLO, run)
    client = TestClient(create_app(tmp_path / "runs"), base_url="http://127.0.0.1")
    assert client.get("/api/runs/small").json()["subset_images"] is None  # the whole split
    data = json.loads((run / "summary.json").read_text())
    subset = {"limit": 200, "seed": 0, "images": 200, "of": 10_000, "per_class": [20] * 10}
    (run / "summary.json").write_text(json.dumps({**data, "data_subset": subset}))
    assert client.get("/api/runs/small").json()["subset_images"] == 200
    (run / "summary.json").write_text(json.dumps({**data, "data_subset": {"images": "<b>"}}))
    assert client.get("/api/runs/small").json()["subset_images"] is None
