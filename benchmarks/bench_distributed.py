"""Data-parallel scaling: training images/s on 1 process and on N processes under torchrun
(gloo on a CPU, NCCL on GPUs), each through the real ``ganforge train`` command line.

    python benchmarks/bench_distributed.py [--recipes dcgan wgan-gp] [--procs 2]
        [--steps 60] [--warmup 20] [--repeats 1] [--device cpu|cuda] [--data-dir DIR]

Per recipe, at its own tuned batch size as the *global* batch (so every variant trains the
same steps on the same data):

- ``1 proc × 1 thread``: the baseline for equal cores per process;
- ``1 proc × N threads``: one process with all the cores the N processes get (on a CPU);
- ``N procs × 1 thread``: torchrun, one intra-op thread each (torchrun's default).

images/s are real images consumed (global batch × D steps per step) after ``--warmup`` steps,
from the training clock rank 0 logs in ``metrics/batches.csv``. Scaling efficiency is
``img/s(N procs) / (N × img/s(1 proc × 1 thread))``; "vs all cores" is
``img/s(N procs) / img/s(1 proc × N threads)``. On GPUs the variants are 1 process on one GPU
and N processes on N GPUs (threads do not apply). Prints a table and writes
``benchmarks/results/bench_distributed-<time>.json`` (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import make_config

RESULTS = Path(__file__).parent / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(
    recipe: str, procs: int, threads: int, args: argparse.Namespace, out: Path
) -> dict[str, Any]:
    """Train ``warmup + steps`` steps; images/s after the warm-up from rank 0's log."""
    train = ["train", recipe, "--steps", str(args.warmup + args.steps), "--log-every", "10"]
    train += ["--sample-every", "0", "--plain", "--device", args.device, "--out", str(out)]
    if args.data_dir:
        train += ["--data-dir", str(args.data_dir)]
    if procs == 1:
        command = [sys.executable, "-m", "ganforge", *train]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={procs}"]
        command += ["--master-addr=127.0.0.1", f"--master-port={free_port()}"]
        command += ["-m", "ganforge", *train]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    rows = read_csv_rows(out / "metrics" / "batches.csv")
    start = next(r for r in rows if r["step"] == args.warmup)
    end = rows[-1]
    cfg = make_config(recipe)
    images = (end["step"] - start["step"]) * cfg.train.batch_size * cfg.model.batches_per_step
    return {"img_s": images / (end["time"] - start["time"]), "batch": cfg.train.batch_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", nargs="+", default=["dcgan", "wgan-gp"])
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=60, help="timed steps after the warm-up")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1, help="interleaved; the median")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    n = args.procs
    if args.device == "cuda":  # one process per GPU: threads do not apply
        variants = {"1 GPU": (1, 1), f"{n} GPUs": (n, 1)}
    else:
        variants = {"1 proc × 1 thread": (1, 1), f"1 proc × {n} threads": (1, n)}
        variants[f"{n} procs × 1 thread"] = (n, 1)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for recipe in args.recipes:
            measured: dict[str, list[float]] = {v: [] for v in variants}
            for repeat in range(args.repeats):
                for name, (procs, threads) in variants.items():
                    out = Path(tmp) / f"{recipe}-{procs}-{threads}-{repeat}"
                    measured[name].append(run(recipe, procs, threads, args, out)["img_s"])
            img_s = {name: statistics.median(values) for name, values in measured.items()}
            base, *_, parallel = img_s.values()
            row: dict[str, Any] = {"batch": make_config(recipe).train.batch_size, **img_s}
            row["efficiency"] = parallel / (n * base)
            if args.device == "cpu":
                row["vs_all_cores"] = parallel / img_s[f"1 proc × {n} threads"]
            results[recipe] = row
            print_row(recipe, row, list(variants))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench_distributed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    machine = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "device": args.device,
        "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else None,
    }
    path.write_text(json.dumps({"args": vars(args) | {"data_dir": str(args.data_dir)},
                                "machine": machine, "results": results}, indent=2))  # fmt: skip
    print(f"results in {path}")


def print_row(recipe: str, row: dict[str, Any], variants: list[str]) -> None:
    cells = [f"{name}: {row[name]:,.0f} img/s" for name in variants]
    ratios = f"efficiency {row['efficiency']:.2f}"
    if "vs_all_cores" in row:
        ratios += f", vs all cores in one process {row['vs_all_cores']:.2f}×"
    print(f"{recipe} (global batch {row['batch']}): {'; '.join(cells)}; {ratios}", flush=True)


if __name__ == "__main__":
    main()
