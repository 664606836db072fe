"""The studio reads ``summary.json`` through its one schema: a summary of the wrong shape
shows as none, and every fact shown is a field of it."""

from __future__ import annotations

import dataclasses
import json
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
