"""A tiny comparison on real MNIST: a broken recipe is reported while the others finish, and
--reuse skips finished runs, continues a cut-short one and retries the failed ones."""

import csv
import json

import pytest

from ganforge.engine.trainer import Trainer
from ganforge.errors import ConfigError
from ganforge.experiments.comparison import plan
from ganforge.experiments.comparison_results import run_compare

pytestmark = pytest.mark.mnist


def test_a_failure_is_reported_and_reuse_picks_up_the_runs(
    tmp_path, mnist_short_test_dir, mnist_evaluator, study_recipes, tiny_study, trainers
):
    out = tmp_path / "cmp"
    recipes = ["tiny-a", "tiny-broken"]
    options = {
        "seeds": 2,
        "data_dir": mnist_short_test_dir,
        "eval_samples": 100,
        "curve_samples": 100,
    }
    options |= {"device": "cpu", "overrides": tiny_study}
    result, files = run_compare(recipes, out, **options)
    assert {p.name for p in files} == {
        *("results.csv", "results.json", "failures.log", "report.html", "report.md")
    }
    with (out / "results.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["arm"], r["seed"], r["status"]) for r in rows] == [
        ("tiny-a", "0", "ok"),
        ("tiny-a", "1", "ok"),
        ("tiny-broken", "0", "failed"),
        ("tiny-broken", "1", "failed"),
    ]
    assert rows[2]["error"] == "RuntimeError: this recipe is broken on purpose"
    assert all(float(r["fid"]) > 0 and float(r["sampling_images_per_s"]) > 0 for r in rows[:2])
    record = json.loads((out / "results.json").read_text())
    arm = record["arms"][0]
    assert arm["sd"]["fid"] is not None and arm["finished"] == 2
    assert record["arms"][1]["finished"] == 0 and len(record["runs"]) == 4
    assert record["evaluation"]["evaluator"]["weights_hash"] == mnist_evaluator.weights_hash
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"{arm['mean']['fid']:.2f} ± {arm['sd']['fid']:.2f}" in report  # mean ± sd
    assert "tiny-broken seed 0: RuntimeError: this recipe is broken on purpose" in report
    assert "FID during training" in report and mnist_evaluator.weights_hash in report
    assert "Traceback" in (out / "failures.log").read_text()

    # Cut tiny-a seed 1 short (step 2 of 5), then --reuse: only it and the failed runs train.
    cut = plan(["tiny-a"], out, 2, overrides=tiny_study, device="cpu")[1]
    for path in sorted(cut.dir.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    Trainer(cut.cfg, cut.dir, data_dir=mnist_short_test_dir).run(stop_at=2)
    kept = (out / "tiny-a" / "seed0" / "metrics.json").stat().st_mtime_ns
    trainers.clear()
    with pytest.raises(ConfigError, match="pass --reuse"):
        run_compare(recipes, out, **options)
    result, _ = run_compare(recipes, out, reuse=True, **options)
    assert trainers == [
        (cut.dir, True),
        (out / "tiny-broken" / "seed0", False),
        (out / "tiny-broken" / "seed1", False),
    ]
    assert result.outcomes.summaries[cut.dir].steps == 5
    assert (out / "tiny-a" / "seed0" / "metrics.json").stat().st_mtime_ns == kept
    assert len(result.outcomes.failures) == 2
