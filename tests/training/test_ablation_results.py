"""Per-rung statistics, the reuse of recorded metrics, the final grid and the CSV (no training)."""

import csv
import json
import os
from pathlib import Path

import pytest

from ganforge.evaluation.evaluate import PROTOCOL
from ganforge.training.ablation import ladder
from ganforge.training.ablation_results import (
    CSV_COLUMNS,
    METRICS,
    fid_label,
    final_grid,
    recorded_metrics,
    rung_results,
    write_csv,
)


def row(rung: int, seed: int, fid: float | None) -> dict:
    """A CSV row as run_rows makes it: every metric present, most of them missing here."""
    return {
        **{k: None for k in METRICS},
        "rung": rung,
        "seed": seed,
        "fid": fid,
        "recall": 0.5,
        "images_per_s": 100.0,
        "wall_time_s": 10.0,
    }


def test_rung_results_mean_and_sd_over_seeds() -> None:
    rows = [row(r, s, 10.0 * r + 2 * s) for r in range(1, 5) for s in (0, 1)]
    rows[-1]["fid"] = None  # a metric that came out NaN: left out of the mean
    results = rung_results(ladder("improved-dcgan"), rows)
    first = results[0]
    assert first["mean"]["fid"] == pytest.approx(11.0)
    assert first["sd"]["fid"] == pytest.approx(2**0.5)
    assert first["seeds"]["1"]["fid"] == 12.0 and first["mean"]["precision"] is None
    assert first["diff_against"] == "recipe defaults" and results[2]["diff_against"] == "rung 2"
    assert results[1]["diff"]["d_steps"] == {"from": 1, "to": 2}
    assert results[3]["mean"]["fid"] == 40.0 and results[3]["sd"]["fid"] is None
    assert fid_label(first) == "FID 11.00 ± 1.41"
    assert fid_label(results[3]) == "FID 40.00"  # one value: no spread to show
    assert fid_label({"mean": {"fid": None}, "sd": {"fid": None}}) == "FID —"


def test_recorded_metrics_must_match_n_seed_protocol_and_step(tmp_path: Path) -> None:
    assert recorded_metrics(tmp_path, 200, 5) is None
    result = {"n_fake": 200, "protocol": PROTOCOL, "fid": 3.0, "source": {"seed": 0, "steps": 5}}
    (tmp_path / "metrics.json").write_text(json.dumps(result))
    assert recorded_metrics(tmp_path, 200, 5) == result
    assert recorded_metrics(tmp_path, 1000, 5) is None  # FID depends on n
    assert recorded_metrics(tmp_path, 200, 10) is None  # the run trained on since
    (tmp_path / "metrics.json").write_text("{")
    assert recorded_metrics(tmp_path, 200, 5) is None


def test_final_grid_is_the_latest_even_inside_epoch_zero(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    samples.mkdir()
    with pytest.raises(FileNotFoundError, match="holds no sample grid"):
        final_grid(tmp_path)
    # A 5-step run writes step 0's grid and its last one, both named epoch 0.
    first, last = samples / "epoch_0000.png", samples / "epoch_0000.00.png"
    for i, path in enumerate((last, first)):
        path.write_bytes(b"")
        os.utime(path, ns=(0, (2 - i) * 10**9))  # `last` is the newer file
    assert final_grid(tmp_path) == last
    (samples / "epoch_0002.png").write_bytes(b"")
    os.utime(samples / "epoch_0002.png", ns=(0, 0))
    assert final_grid(tmp_path).name == "epoch_0002.png"


def test_csv_has_a_header_and_empty_cells_for_missing_metrics(tmp_path: Path) -> None:
    rows = [{k: 1 for k in CSV_COLUMNS} | {"class_accuracy": None, "name": "+ input noise"}]
    write_csv(tmp_path / "a.csv", rows)
    with (tmp_path / "a.csv").open(newline="") as f:
        (read,) = list(csv.DictReader(f))
    assert list(read) == list(CSV_COLUMNS)
    assert read["class_accuracy"] == "" and read["name"] == "+ input noise"
