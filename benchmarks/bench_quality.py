"""Time-to-quality: training seconds until the evaluation FID first drops below thresholds
calibrated on real images, per recipe, on the same machine in one process.

    python benchmarks/bench_quality.py [--recipes dcgan dcgan-tf] [--reference dcgan-tf]
        [--time-limit 900] [--eval-samples 2000] [--data-dir DIR]

Each recipe trains with its own schedule (its default epochs, or ``--epochs``), stopped after
``--time-limit`` training seconds, and is evaluated at the end of every epoch on
``--eval-samples`` samples (``ganforge train --eval-every 1``); evaluation time is not
training time, and grids are drawn only at the end. The thresholds are the FIDs, at that same
sample size (FID is biased by n), of real training images blurred with a Gaussian of σ = 1
and σ = 2 (calibration rows of ``ganforge evaluate``). The time to a threshold is the training
time at the end of the first epoch evaluated below it, so it is exact to one epoch (a recipe
with long epochs is rounded up more). A recipe that never gets below a threshold is reported
as "> its training seconds"; when that is the reference, the ratio is a lower bound ("≥"),
and when it is the other recipe, there is no ratio ("n/a").

Prints a table, the ratio of the reference recipe's time to each other's, and writes
``benchmarks/results/bench_quality-<time>.json`` with the runs under ``…-runs/``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from ganforge.data import load_dataset
from ganforge.engine.trainer import Trainer
from ganforge.evaluation.calibration import blurred
from ganforge.evaluation.evaluate import evaluate_images, evaluator_for, real_reference
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import make_config

RESULTS = Path(__file__).parent / "results"
SIGMAS = (1.0, 2.0)


def thresholds(train, dataset: str, data_dir: Path | None, n: int) -> dict[str, float]:
    """FID of ``n`` blurred training images (σ = 1, 2) against the test split."""
    evaluator = evaluator_for(dataset, data_dir)
    reference = real_reference(evaluator, dataset, data_dir)
    g = torch.Generator().manual_seed(0)
    real = train.images[torch.randperm(train.images.shape[0], generator=g)[:n]]
    return {
        f"blur σ={sigma:g}": evaluate_images(blurred(real, sigma), None, evaluator, reference)[
            "fid"
        ]
        for sigma in SIGMAS
    }


def time_to_quality(
    recipe: str, data, args: argparse.Namespace, lines: dict[str, float], out: Path
) -> dict[str, Any]:
    train: dict[str, Any] = {
        "eval_every": 1,
        "eval_samples": args.eval_samples,
        "time_limit": args.time_limit,
        "sample_every": 0,  # grids and plot redraws only at the end, outside the timed loop
    }
    if args.epochs:
        train["epochs"] = args.epochs
    cfg = make_config(recipe, overrides={"train": train})
    print(f"{recipe}: {cfg.train.epochs} epochs or {args.time_limit:g} s", flush=True)
    result = Trainer(cfg, out / recipe, data=data, data_dir=args.data_dir, display=False).run()
    evals = read_csv_rows(out / recipe / "metrics" / "eval.csv")
    row: dict[str, Any] = {
        "recipe": recipe,
        "epochs": result.epochs_done,
        "training_s": result.wall_time_s,
        "images_per_s": result.images_per_s,
        "fid_by_epoch": [(e["epoch"], e["time"], e["fid"]) for e in evals],
        "best_fid": min((e["fid"] for e in evals), default=float("nan")),
    }
    for name, line in lines.items():
        first = next((e for e in evals if e["fid"] < line), None)
        # The time column is the training seconds at that epoch's end, when it was evaluated.
        row[name] = {"seconds": first["time"] if first else None, "epoch": first and first["epoch"]}
    return row


def seconds_text(entry: dict[str, Any], training_s: float) -> str:
    s = entry["seconds"]
    return f"{s:.0f} (ep {entry['epoch']:.0f})" if s is not None else f"> {training_s:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=["dcgan", "dcgan-tf"])
    parser.add_argument("--reference", default="dcgan-tf", help="the classic to compare with")
    parser.add_argument("--time-limit", type=float, default=900.0, help="training s per recipe")
    parser.add_argument("--epochs", type=int, default=None, help="instead of each recipe's own")
    parser.add_argument("--eval-samples", type=int, default=2000)
    parser.add_argument("--data-dir", type=Path, default=None, help="MNIST IDX files")
    args = parser.parse_args()
    data = load_dataset("mnist", "train", args.data_dir)
    lines = thresholds(data, "mnist", args.data_dir, args.eval_samples)
    print(
        f"data: {data.source}; thresholds at n={args.eval_samples}: "
        + ", ".join(f"{k} → FID {v:.2f}" for k, v in lines.items())
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"bench_quality-{stamp}-runs"
    rows = [time_to_quality(r, data, args, lines, out) for r in args.recipes]
    ref = next((r for r in rows if r["recipe"] == args.reference), None)
    print(f"\n{'recipe':<16}{'epochs':>7}{'train s':>9}{'img/s':>7}{'best FID':>10}", end="")
    print("".join(f"{'< ' + k:>20}" for k in lines) + "".join(f"{'×' + k:>14}" for k in lines))
    for r in rows:
        cells = "".join(f"{seconds_text(r[k], r['training_s']):>20}" for k in lines)
        ratios = ""
        for k in lines:
            ratio = ratio_text(ref, r, k) if ref is not None and r is not ref else "-"
            ratios += f"{ratio:>14}"
        print(
            f"{r['recipe']:<16}{r['epochs']:>7.2f}{r['training_s']:>9.0f}"
            f"{r['images_per_s']:>7.0f}{r['best_fid']:>10.2f}{cells}{ratios}"
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench_quality-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "thresholds": lines,
                "args": vars(args) | {"data_dir": str(args.data_dir)},
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"\nratios: the time {args.reference} takes over each recipe's; wrote {path}")


def ratio_text(ref: dict[str, Any], row: dict[str, Any], key: str) -> str:
    """How many times shorter ``row`` reached the threshold than ``ref`` ("≥" when the
    reference never did: its training time is then only a lower bound)."""
    mine, theirs = row[key]["seconds"], ref[key]["seconds"]
    if mine is None:
        return "n/a"
    if theirs is None:
        return f"≥ {ref['training_s'] / mine:.1f}×"
    return f"{theirs / mine:.1f}×"


if __name__ == "__main__":
    main()
