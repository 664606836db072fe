"""Experiment trackers in real 2-epoch runs, read back from what they wrote: MLflow against
its local SQLite store in the run directory, W&B in offline mode from its ``.wandb`` file."""

import csv
import json
import struct
from pathlib import Path

import pytest
import torch

from ganforge.engine.trainer import Trainer
from ganforge.generation.export import export_model

STEPS = 8  # tiny_data: 4 steps per epoch, 2 epochs


def batches(run: Path) -> list[dict[str, str]]:
    with (run / "metrics" / "batches.csv").open() as f:
        return list(csv.DictReader(f))


def fake_evaluation(monkeypatch) -> None:
    """Evaluation during training without the evaluator: an FID of 42 (the hook's own rows)."""
    from ganforge.engine import eval_hook

    monkeypatch.setattr(eval_hook, "evaluator_for", lambda *args: None)
    monkeypatch.setattr(eval_hook, "real_reference", lambda *args: None)
    monkeypatch.setattr(eval_hook, "evaluate_images", lambda *args: {"fid": 42.0})


def test_mlflow_run_holds_params_metrics_and_grids_and_a_resume_continues_it(
    tmp_path, tiny_config, tiny_data, monkeypatch
):
    pytest.importorskip("mlflow", reason="the mlflow extra: pip install 'ganforge[mlflow]'")
    from mlflow import MlflowClient

    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(var, raising=False)
    fake_evaluation(monkeypatch)
    cfg = tiny_config(epochs=2, sample_every=1, log_to="mlflow", eval_every=1, eval_samples=100)
    run = tmp_path / "run"
    Trainer(cfg, run, data=tiny_data, display=False).run(stop_at=4, exporter=export_model)
    run_id = json.loads((run / "trackers.json").read_text())["mlflow"]
    Trainer(cfg, run, data=tiny_data, resume=True, display=False).run(exporter=export_model)
    assert json.loads((run / "trackers.json").read_text())["mlflow"] == run_id  # the same run

    client = MlflowClient(tracking_uri=f"sqlite:///{run / 'mlflow.db'}")
    (only,) = client.search_runs([client.get_experiment_by_name("ganforge").experiment_id])
    assert only.info.run_id == run_id and only.info.status == "FINISHED"
    params = only.data.params
    assert (params["recipe"], params["train.epochs"], params["train.log_to"]) == (
        "gan",
        "2",
        "mlflow",
    )
    rows = batches(run)
    for name in ("d_loss", "g_loss", "d_real", "d_fake"):
        history = client.get_metric_history(run_id, name)
        assert [m.step for m in history] == list(range(1, STEPS + 1))
        assert [m.value for m in history] == pytest.approx([float(r[name]) for r in rows])
    fids = client.get_metric_history(run_id, "eval/fid")
    assert [(m.step, m.value) for m in fids] == [(4, 42.0), (8, 42.0)]
    means = client.get_metric_history(run_id, "epoch_mean/d_loss")
    assert [m.step for m in means] == [4, 8]
    assert only.data.metrics["summary/steps"] == STEPS
    grids = {Path(f.path).name for f in client.list_artifacts(run_id, "grids")}
    assert grids == {p.name for p in (run / "samples").glob("epoch_*.png")}
    assert len(grids) == 3  # before training and after each epoch
    top = {f.path for f in client.list_artifacts(run_id)}
    assert {"summary.json", "config.yaml", "model"} <= top
    assert "checkpoints" not in top  # the exported model instead: G alone, a quarter the size
    # The logged model is the run's generator: it samples what the run's checkpoint samples.
    import ganforge as gf

    (tmp_path / "dl").mkdir()
    got = Path(client.download_artifacts(run_id, "model", str(tmp_path / "dl")))
    assert {"model.safetensors", "config.json", "README.md", "grid.png"} <= {
        p.name for p in got.iterdir()
    }
    same = [gf.load(where).sample(8, seed=3) for where in (got, run)]
    assert torch.equal(*same)
    assert not (Path.cwd() / "mlruns").exists()


LOG_HEADER = 7  # ":W&B", magic 0xBEE1, version: the leveldb-log file W&B writes
BLOCK = 32768


def wandb_records(path: Path) -> list[object]:
    """The protobuf records of a W&B ``.wandb`` file (leveldb log format: 32 KiB blocks of
    chunks with a 7-byte header: CRC, length, type full/first/middle/last). wandb 0.20+ has no
    Python reader of its own (its Go core writes and syncs these files)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, records, pending = LOG_HEADER, [], b""
    while pos + 7 <= len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:  # a block's tail too short for a header is padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunk, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind in (1, 2):
            pending = chunk
        elif kind in (3, 4):
            pending += chunk
        if kind in (1, 4):
            record = pb.Record()
            record.ParseFromString(pending)
            records.append(record)
    return records


def test_wandb_offline_run_holds_config_metrics_grids_and_summary(
    tmp_path, tiny_config, tiny_data, monkeypatch
):
    pytest.importorskip("wandb", reason="the wandb extra: pip install 'ganforge[wandb]'")
    for var in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_BASE_URL", "WANDB_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))  # not logged in: offline
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wandb-config"))
    cfg = tiny_config(epochs=2, sample_every=1, log_to=["wandb"])
    run = tmp_path / "run"
    Trainer(cfg, run, data=tiny_data, display=False).run()

    run_id = json.loads((run / "trackers.json").read_text())["wandb"]
    (offline,) = (run / "wandb").glob(f"offline-run-*-{run_id}")
    records = wandb_records(offline / f"run-{run_id}.wandb")
    history = {}
    for r in records:
        if r.WhichOneof("record_type") == "history":
            items = {
                i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in r.history.item
            }
            history.setdefault(items["_step"], {}).update(items)
    rows = batches(run)
    assert sorted(s for s, h in history.items() if "d_loss" in h) == list(range(1, STEPS + 1))
    assert [history[s]["d_loss"] for s in range(1, STEPS + 1)] == pytest.approx(
        [float(r["d_loss"]) for r in rows]
    )
    assert history[8]["epoch_mean/g_loss"] == pytest.approx(
        sum(float(r["g_loss"]) for r in rows[4:]) / 4
    )
    # A wandb.Image's fields, as W&B's history flattens nested keys.
    grid_steps = sorted(s for s, h in history.items() if h.get("samples/_type") == "image-file")
    assert grid_steps == [0, 4, 8] and history[8]["samples/caption"] == "epoch 2"
    assert len(list((offline / "files" / "media" / "images").glob("samples_*.png"))) == 3
    (start,) = (r.run for r in records if r.WhichOneof("record_type") == "run")
    config = {i.key: json.loads(i.value_json) for i in start.config.update}
    assert config["recipe"] == "gan" and config["train"]["epochs"] == 2
    summary = {
        i.key or "/".join(i.nested_key): json.loads(i.value_json)
        for r in records
        if r.WhichOneof("record_type") == "summary"
        for i in r.summary.update
    }
    assert summary["run/steps"] == STEPS
    assert summary["final/d_loss"] == pytest.approx(float(rows[-1]["d_loss"]))
