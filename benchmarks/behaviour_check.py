"""Behaviour fingerprint: the same short runs must give the same numbers before and after a
refactoring.

For every default recipe and two presets, a 30-step run at a fixed seed on one thread; the
fingerprint is the SHA-256 of ``metrics/batches.csv`` (its time column left out), of every
sample grid's pixels, and of every tensor of the last checkpoint. ``--record FILE`` writes it;
``--check FILE`` recomputes it and lists every value that moved (exit status 1 if any did).
Bit-for-bit equality holds on one machine; another CPU's rounding gives other digits.

    python benchmarks/behaviour_check.py --data-dir ../shared/data/mnist-subset --record ref.json
    python benchmarks/behaviour_check.py --data-dir ../shared/data/mnist-subset --check ref.json
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from safetensors.numpy import load_file

RECIPES = (
    "gan",
    "dcgan",
    "improved-dcgan",
    "wgan-gp",
    "acgan",
    "allconv",
    "dcgan-tf",
    "acgan-mult",
)
STEPS = 30


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _batches_without_time(path: Path) -> str:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    keep = [i for i, name in enumerate(rows[0]) if name not in ("time", "wall_time_s", "elapsed")]
    return _sha("\n".join(",".join(row[i] for i in keep) for row in rows).encode())


def fingerprint(run: Path) -> dict[str, object]:
    """The run's values: batch log, grid pixels and checkpoint tensors, each as a digest."""
    grids = {
        p.name: _sha(np.asarray(Image.open(p).convert("L")).tobytes())
        for p in sorted((run / "samples").glob("*.png"))
    }
    tensors = load_file(str(run / "checkpoints" / "last.safetensors"))
    return {
        "batches.csv": _batches_without_time(run / "metrics" / "batches.csv"),
        "grids": grids,
        "tensors": {k: _sha(np.ascontiguousarray(v).tobytes()) for k, v in sorted(tensors.items())},
    }


def run_recipe(recipe: str, data_dir: Path, out: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "ganforge", "train", recipe, "--steps", str(STEPS)]
    cmd += ["--seed", "0", "--out", str(out), "--data-dir", str(data_dir), "--plain"]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--record", type=Path)
    group.add_argument("--check", type=Path)
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES))
    args = parser.parse_args()
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for recipe in args.recipes:
            run = Path(tmp) / recipe
            run_recipe(recipe, args.data_dir, run)
            result[recipe] = fingerprint(run)
            print(
                f"{recipe}: {len(result[recipe]['tensors'])} tensors, "  # type: ignore[arg-type]
                f"{len(result[recipe]['grids'])} grids"
            )  # type: ignore[arg-type]
    if args.record:
        args.record.write_text(json.dumps(result, indent=1, sort_keys=True))
        print(f"recorded {args.record}")
        return 0
    reference = json.loads(args.check.read_text())
    moved = [
        f"{recipe}: {key} differs"
        for recipe in result
        for key in ("batches.csv", "grids", "tensors")
        if reference.get(recipe, {}).get(key) != result[recipe][key]  # type: ignore[index]
    ]
    for line in moved:
        print(line)
    total = sum(1 + len(v["grids"]) + len(v["tensors"]) for v in result.values())  # type: ignore[arg-type]
    verdict = f"{len(moved)} differ" if moved else "all identical"
    print(f"{len(result)} runs, {total} values compared: {verdict}")
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
