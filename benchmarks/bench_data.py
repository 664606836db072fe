"""Training on a folder of images (``ganforge train --data DIR``): Fashion-MNIST's 60,000
training images written as an ImageFolder tree of 28×28 PNGs, decoded cold and from the
cache, checked pixel for pixel against the IDX files, and trained on against the same images
from IDX, in one process.

    python benchmarks/bench_data.py [--folder DIR] [--steps 200] [--repeats 3] [--quick]
        [--threads N]
    python benchmarks/bench_data.py --write-folder DIR   (only write the PNG tree)

- The folder: ``DIR/CLASS/NNNNN.png``, CLASS the class name made safe for a file name
  (``T-shirt/top`` → ``T-shirt_top``), NNNNN the image's index in the IDX file. ganforge's
  class names are the sorted folder names, so its labels number the classes alphabetically
  (``Ankle boot`` is 0), not in Fashion-MNIST's order. Without ``--folder`` it is written to
  a temporary folder; with it, reused if it already holds the images.
- Decoding: each load (cold: an empty ``$GANFORGE_HOME``; warm: the cache the cold one
  wrote) runs ``load_user_data`` — what ``train --data`` calls — in a fresh Python process,
  timed around that call alone. Memory is that process's peak resident set (the kernel's
  high-water mark, reset after the imports) less its resident set before the call, so
  numpy's, Pillow's and torch's allocations all count; its CPU time; and the CPU time of its
  child processes during the call, which would show decoding done in worker processes
  (whose memory the parent's RSS leaves out; their peak RSS is printed if it rose).
- The check: the cached tensor against the IDX images, image for image by file name, and
  each label against the class folder of that image; the cold, warm and checked loads'
  fingerprints must agree, so the check covers what the cold decode produced.
- Training: ``dcgan`` built as ``ganforge train`` builds it (``make_config`` with
  ``data: DIR`` or ``dataset: fashion-mnist``, then the real ``Trainer``, which loads the data
  itself), images/s over ``--steps`` steps after a warm-up, read from its ``batches.csv``;
  folder and IDX repeats interleaved (which goes first alternates), medians and their ratio
  printed.

Prints the figures with the CPU, torch's thread count and the load average; writes
``benchmarks/results/bench_data-<time>.json`` (not committed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ganforge.data import ImageData, load_dataset
from ganforge.data.image_folder import scan
from ganforge.data.user_data import load_user_data
from ganforge.engine.memory import peak_rss_mib, reset_peak_rss
from ganforge.engine.trainer import Trainer
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import make_config

RESULTS = Path(__file__).parent / "results"
DATASET = "fashion-mnist"
RECIPE = "dcgan"
WARMUP_STEPS = 20
LOG_EVERY = 10


# -- the folder --------------------------------------------------------------------------------
def safe_name(name: str) -> str:
    """``name`` as a folder name on any system: path separators and the characters Windows
    refuses become ``_``; no leading dot (ganforge skips dot-folders) or trailing space."""
    safe = re.sub(r'[/\\:*?"<>|\x00-\x1f]', "_", name).strip().rstrip(".")
    return re.sub(r"^\.", "_", safe) or "_"


def write_folder(data: ImageData, folder: Path) -> int:
    """Write every image of ``data`` as ``folder/CLASS/NNNNN.png`` (NNNNN its index); returns
    how many were written (0 when the folder already holds them all)."""
    names = [safe_name(name) for name in data.class_names]
    if len(set(names)) != len(names):
        raise SystemExit(f"class names {data.class_names} collide as folder names {names}")
    width = len(str(len(data.labels) - 1))
    paths = [
        folder / names[label] / f"{i:0{width}d}.png" for i, label in enumerate(data.labels.tolist())
    ]
    if all(path.is_file() for path in paths):
        return 0
    for name in names:
        (folder / name).mkdir(parents=True, exist_ok=True)
    images = data.images.numpy()
    for path, image in zip(paths, images, strict=True):
        Image.fromarray(image, mode="L").save(path)
    return len(paths)


# -- decoding, in a fresh process --------------------------------------------------------------
def measure_load(folder: Path) -> dict[str, Any]:
    """One ``load_user_data`` of ``folder`` in this process: seconds, memory, fingerprint.
    Child processes are measured by their CPU time during the call (exact) and their peak
    RSS (the kernel's maximum over every child so far: only a rise is theirs)."""
    before, self_cpu, kids_cpu, kids_peak = _rss_mib(), _cpu_s("SELF"), _cpu_s("CHILDREN"), _kids()
    reset_peak_rss()
    start = time.perf_counter()
    data = load_user_data(folder)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu_s": _cpu_s("SELF") - self_cpu,
        "rss_before_mib": before,
        "peak_rss_growth_mib": peak_rss_mib() - before,
        "children_cpu_s": _cpu_s("CHILDREN") - kids_cpu,
        "children_peak_rss_mib": _kids() if _kids() > kids_peak else None,
        "images": int(data.images.shape[0]),
        "fingerprint": data.fingerprint,
    }


def _cpu_s(who: str) -> float:
    usage = resource.getrusage(getattr(resource, f"RUSAGE_{who}"))
    return usage.ru_utime + usage.ru_stime


def _kids() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_in_child(folder: Path, home: Path) -> dict[str, Any]:
    """:func:`measure_load` run by a fresh Python with ``GANFORGE_HOME=home``."""
    env = {**os.environ, "GANFORGE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, __file__, "--measure-load", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the check ---------------------------------------------------------------------------------
def check_folder(folder: Path, idx: ImageData) -> dict[str, Any]:
    """The folder as loaded (from the cache) against the IDX images: every IDX image once,
    pixel for pixel, and every label the class index of the image's folder."""
    data = load_user_data(folder)
    files, class_names, _ = scan(folder)
    order = np.array([int(Path(f.rel).stem) for f in files])
    every_once = len(order) == len(idx.labels) and bool(
        (np.sort(order) == np.arange(len(order))).all()
    )
    pixels = every_once and torch.equal(data.images, idx.images[torch.from_numpy(order)])
    idx_labels = idx.labels[torch.from_numpy(order)].tolist()
    expected = [class_names.index(safe_name(idx.class_names[c])) for c in idx_labels]
    labels = every_once and data.labels.tolist() == expected
    return {
        "every_image_once": every_once,
        "pixels_equal": bool(pixels),
        "labels_equal": bool(labels),
        "class_names": list(data.class_names),
        "fingerprint": data.fingerprint,
    }


# -- training ----------------------------------------------------------------------------------
def train_rate(source: dict[str, str], steps: int) -> float:
    """Images/s of ``steps`` steps of :data:`RECIPE` after :data:`WARMUP_STEPS`, the data
    named by ``source`` (``{"data": DIR}`` or ``{"dataset": NAME}``) and loaded by the
    Trainer, as ``ganforge train`` has it."""
    train = {"steps": WARMUP_STEPS + steps, "sample_every": 0, "log_every": LOG_EVERY}
    cfg = make_config(RECIPE, overrides={**source, "train": train})
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, Path(tmp) / "run", display=False)
        with contextlib.redirect_stderr(None), contextlib.redirect_stdout(None):
            trainer.run()
        rows = read_csv_rows(trainer.layout.batches_csv)
    start = next(r for r in rows if r["step"] >= WARMUP_STEPS)
    end = rows[-1]
    per_step = cfg.train.batch_size * cfg.model.batches_per_step
    return (end["step"] - start["step"]) * per_step / (end["time"] - start["time"])


def compare_training(folder: Path, steps: int, repeats: int) -> dict[str, Any]:
    """Folder and IDX runs, interleaved (a slow patch of time hits both), each going first
    in every other repeat (so that neither always runs just after the other)."""
    sources = {"folder": {"data": str(folder)}, "idx": {"dataset": DATASET}}
    runs: dict[str, list[float]] = {"folder": [], "idx": []}
    for repeat in range(repeats):
        for name in sorted(sources, reverse=repeat % 2 == 1):
            runs[name].append(train_rate(sources[name], steps))
        print(f"  folder {runs['folder'][-1]:.0f} img/s, IDX {runs['idx'][-1]:.0f}", flush=True)
    folder_rate, idx_rate = (statistics.median(runs[k]) for k in ("folder", "idx"))
    return {"runs": runs, "folder": folder_rate, "idx": idx_rate, "ratio": folder_rate / idx_rate}


# -- the run -----------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
    }


def load_line(what: str, r: dict[str, Any]) -> str:
    kids = f"{r['children_cpu_s']:.2f} CPU-s" + (
        f", peak RSS {r['children_peak_rss_mib']:.0f} MiB" if r["children_peak_rss_mib"] else ""
    )
    return (
        f"  {what:<20}{r['seconds']:6.2f} s ({r['cpu_s']:.2f} CPU-s)   peak RSS "
        f"+{r['peak_rss_growth_mib']:.0f} MiB over {r['rss_before_mib']:.0f}; child processes "
        f"{kids}"
    )


def bench(folder: Path, home: Path, args: argparse.Namespace) -> dict[str, Any]:
    idx = load_dataset(DATASET, "train")
    start = time.perf_counter()
    written = write_folder(idx, folder)
    wrote = time.perf_counter() - start
    print(f"{folder}: {f'wrote {written} PNGs in {wrote:.1f} s' if written else 'reused'}")
    cold = load_in_child(folder, home)
    print(load_line("first load (cold):", cold))
    warm = load_in_child(folder, home)
    print(load_line("cached load (warm):", warm))
    os.environ["GANFORGE_HOME"] = str(home)  # this process's loads read the same cache
    check = check_folder(folder, idx)
    check["fingerprints_agree"] = cold["fingerprint"] == warm["fingerprint"] == check["fingerprint"]
    print(
        f"  check against IDX: every image once {check['every_image_once']}, pixels equal "
        f"{check['pixels_equal']}, labels equal {check['labels_equal']}, cold = warm = checked "
        f"fingerprint {check['fingerprints_agree']}"
    )
    print(f"training {RECIPE}, {args.steps} steps after {WARMUP_STEPS}, ×{args.repeats}:")
    train = compare_training(folder, args.steps, args.repeats)
    print(
        f"  median: folder {train['folder']:.0f} img/s, IDX {train['idx']:.0f} img/s, "
        f"ratio {train['ratio']:.3f}"
    )
    return {"images": cold["images"], "cold": cold, "warm": warm, "check": check, "train": train}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, help="write the PNGs here (or reuse them)")
    parser.add_argument("--write-folder", type=Path, metavar="DIR", help="only write them")
    parser.add_argument("--measure-load", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="--steps 40 --repeats 1")
    parser.add_argument("--threads", type=int, help="torch's threads (default: its own)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads or torch.get_num_threads())
    if args.measure_load:
        print(json.dumps(measure_load(args.measure_load)))
        return
    if args.write_folder:
        n = write_folder(load_dataset(DATASET, "train"), args.write_folder)
        print(f"{args.write_folder}: {f'wrote {n} PNGs' if n else 'already holds them'}")
        return
    if args.quick:
        args.steps, args.repeats = 40, 1
    about = machine()
    load = os.getloadavg()
    print(
        f"{about['cpu']}, {about['cpus']} CPUs, torch {about['torch']} on {about['threads']} "
        f"threads; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="bench_data-") as tmp:
        folder = args.folder or Path(tmp) / "fashion-mnist"
        result = bench(folder.resolve(), Path(tmp) / "home", args)
    result["machine"] = about
    result["load_average"] = {"start": load, "end": os.getloadavg()}
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_data-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
