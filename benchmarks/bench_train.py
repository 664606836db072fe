"""Training throughput of ganforge against a classic tutorial training loop, per default recipe,
measured in one process (the ratio is the figure that counts: absolute figures on a shared
machine drift, a ratio of interleaved runs much less).

    python benchmarks/bench_train.py [--recipes gan dcgan ...] [--devices cpu cuda]
        [--seconds 3] [--repeats 3] [--variants bf16 compile] [--data-dir DIR]

Per recipe and device:

- **ganforge**: the real :class:`~ganforge.engine.trainer.Trainer` — the dataset as one
  tensor on the device, batches by index, fused Adam, D frozen in G's step, statistics read
  once per log interval — timed from its own ``batches.csv`` after a warm-up.
- **reference**: the same networks and losses (the recipe's own step losses) in the loop of
  the classic tutorials: a map-style dataset returning one PIL image at a time through
  ``ToTensor()`` + ``Normalize`` (as torchvision's ``MNIST`` does), a shuffling ``DataLoader``
  with ``--workers`` worker processes (2, as pytorch/examples' DCGAN), ``torch.optim.Adam``
  with its default kernels (a for-loop on the CPU, foreach on CUDA), D left trainable in G's
  step, eager mode, and ``loss.item()`` every step for the log line.
- training images/s (real images consumed: batch × D steps per step), the median of
  ``--repeats`` interleaved repeats; generation images/s (ganforge: ``sample_images`` in
  chunks of 512; reference: ``G(z)`` under ``no_grad`` in batches of 64); peak RSS of the
  process during each run, set-up and (ganforge) final outputs included, the reference's
  worker processes not, and on CUDA the peak allocated memory; the hot loop's GFLOP/s
  (matrix products and convolutions, forward and backward, counted with the formulas of
  ``torch.utils.flop_counter``) against the matmul peak measured here.
- ``--variants bf16 compile``: ganforge again with bf16 autocast and with ``torch.compile``.

Prints a table and writes ``benchmarks/results/bench_train-<time>.json`` (not committed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import flop_registry
from torchvision import transforms

from ganforge.config import RunConfig
from ganforge.data import ImageData, load_dataset
from ganforge.engine.memory import peak_cuda_mib, peak_rss_mib, reset_peak_rss
from ganforge.engine.speed import native_bf16
from ganforge.engine.trainer import Trainer
from ganforge.models.recipes import DEFAULT_RECIPES
from ganforge.rundir.metrics_log import read_csv_rows
from ganforge.setup.build import build_recipe, make_config

RESULTS = Path(__file__).parent / "results"
WARMUP_STEPS = 10
LOG_EVERY = 10


# -- memory ------------------------------------------------------------------------------------
def reset_peaks(device: torch.device) -> None:
    reset_peak_rss()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# -- the machine's peak ------------------------------------------------------------------------
def matmul_gflops(device: torch.device, dtype: torch.dtype, size: int = 2048) -> float:
    """Best of five square matrix products, in GFLOP/s (bf16 on a CPU that emulates it: one
    smaller product, which would otherwise take a minute)."""
    if dtype == torch.bfloat16 and not native_bf16(device):
        size = 512
    a = torch.randn(size, size, device=device).to(dtype)
    b = torch.randn(size, size, device=device).to(dtype)
    a @ b
    best = 0.0
    for _ in range(5 if size > 512 else 1):
        sync(device)
        t = time.perf_counter()
        a @ b
        sync(device)
        best = max(best, 2 * size**3 / (time.perf_counter() - t) / 1e9)
    return best


# -- ganforge ----------------------------------------------------------------------------------
def config(recipe: str, device: torch.device, steps: int, **train: Any) -> RunConfig:
    settings = {"steps": steps, "sample_every": 0, "log_every": LOG_EVERY, "device": str(device)}
    return make_config(recipe, overrides={"train": {**settings, **train}})


def images_per_step(cfg: RunConfig) -> int:
    return cfg.train.batch_size * cfg.model.batches_per_step


def ganforge_run(
    recipe: str,
    data: ImageData,
    device: torch.device,
    steps: int,
    warmup: int = WARMUP_STEPS,
    **train: Any,
) -> dict[str, Any]:
    """Train ``warmup + steps`` steps with the real Trainer; images/s after the warm-up, from
    the training times it logs (which leave out the final outputs it writes after the loop)."""
    log_every = min(LOG_EVERY, warmup, steps)
    cfg = config(recipe, device, warmup + steps, log_every=log_every, **train)
    with tempfile.TemporaryDirectory() as tmp:
        reset_peaks(device)
        trainer = Trainer(cfg, Path(tmp) / "run", data=data, display=False)
        with contextlib.redirect_stderr(None), contextlib.redirect_stdout(None):
            trainer.run()
        rows = read_csv_rows(trainer.layout.batches_csv)
        start = next(r for r in rows if r["step"] >= warmup)
        end = rows[-1]
        rate = (end["step"] - start["step"]) * images_per_step(cfg) / (end["time"] - start["time"])
        return {
            "images_per_s": rate,
            "peak_rss_mib": peak_rss_mib(),
            "peak_cuda_mib": peak_cuda_mib(device),
            "trainer": trainer,
        }


class FlopCount(TorchDispatchMode):
    """Counts the FLOPs of the ops ``torch.utils.flop_counter`` knows (matrix products,
    convolutions, attention), forward and backward. Its ``FlopCounterMode`` itself cannot run
    a gradient penalty: its module hooks break ``autograd.grad``."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        count = flop_registry.get(func._overloadpacket)
        if count is not None:
            self.total += count(*args, **kwargs, out_val=out)
        return out


def flops_per_step(trainer: Trainer) -> float:
    """Matrix-product and convolution FLOPs of one training step (forward and backward)."""
    batches = trainer.stream.epoch(0, 0)
    drawn = [next(batches) for _ in range(trainer.cfg.model.batches_per_step)]
    if len(drawn) == 1:
        drawn = drawn * trainer.cfg.model.d_steps
    counter = FlopCount()
    with counter:
        trainer.train_step(drawn)
    return float(counter.total)


def generation_rate(generate, latent_dim: int, device: torch.device, n: int = 1024) -> float:
    z = torch.randn(n, latent_dim, device=device)
    generate(z[:64])
    sync(device)
    t = time.perf_counter()
    generate(z)
    sync(device)
    return n / (time.perf_counter() - t)


# -- the reference loop ------------------------------------------------------------------------
class ClassicDigits(Dataset):
    """torchvision's MNIST as tutorials use it: one PIL image per item, transformed alone."""

    def __init__(self, data: ImageData, cfg: RunConfig) -> None:
        self.images = data.images.numpy()
        self.labels = data.labels.tolist()
        steps: list[Any] = []
        if cfg.model.resolution != 28:
            steps.append(transforms.Resize(cfg.model.resolution))
        steps.append(transforms.ToTensor())
        if cfg.model.data_range == "-1,1":
            steps.append(transforms.Normalize((0.5,), (0.5,)))
        self.transform = transforms.Compose(steps)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(Image.fromarray(self.images[i], mode="L")), self.labels[i]


def endless(loader: DataLoader) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    while True:
        yield from loader


def reference_run(
    recipe_name: str, data: ImageData, device: torch.device, seconds: float, workers: int
) -> dict[str, Any]:
    cfg = config(recipe_name, device, 1)
    torch.manual_seed(0)
    recipe = build_recipe(cfg, data.num_classes, device)
    m = cfg.model
    opt_g = torch.optim.Adam(recipe.generator.parameters(), m.lr_g, (m.beta1, m.beta2))
    opt_d = torch.optim.Adam(recipe.discriminator.parameters(), m.lr_d, (m.beta1, m.beta2))
    loader = DataLoader(
        ClassicDigits(data, cfg),
        batch_size=cfg.train.batch_size,
        shuffle=True,
        num_workers=workers,
        drop_last=True,
    )
    batches = endless(loader)
    log: list[float] = []

    def step() -> None:
        # A fresh batch per D update, or one for all (d_steps_same_batch), as ganforge does.
        drawn = [next(batches) for _ in range(m.batches_per_step)]
        for real, labels in drawn * (m.d_steps // len(drawn)):
            real, labels = real.to(device), labels.to(device)
            opt_d.zero_grad()
            d_loss, _ = recipe.discriminator_step_loss(real, labels)
            d_loss.backward()
            opt_d.step()
        opt_g.zero_grad()
        g_loss, _ = recipe.generator_step_loss(cfg.train.batch_size)
        g_loss.backward()
        opt_g.step()
        log.append(d_loss.item() + g_loss.item())  # the tutorial's print of both losses

    reset_peaks(device)
    recipe.train()
    for _ in range(WARMUP_STEPS):
        step()
    sync(device)
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        step()
        n += 1
    rate = n * images_per_step(cfg) / (time.perf_counter() - t)
    batches.close()  # ends the loader iterator, and with it its worker processes
    return {
        "images_per_s": rate,
        "peak_rss_mib": peak_rss_mib(),
        "peak_cuda_mib": peak_cuda_mib(device),
        "recipe": recipe,
    }


def reference_generation(recipe, z: torch.Tensor) -> None:
    recipe.generator.eval()
    with torch.no_grad():
        for i in range(0, z.shape[0], 64):
            chunk = z[i : i + 64]
            labels = recipe.sample_labels(chunk.shape[0]) if recipe.conditional else None
            recipe.generator(chunk, labels) if recipe.conditional else recipe.generator(chunk)


# -- one recipe --------------------------------------------------------------------------------
def bench_recipe(
    recipe: str, data: ImageData, device: torch.device, args: argparse.Namespace, peak: float
) -> dict[str, Any]:
    pilot = ganforge_run(recipe, data, device, 20)
    cfg = pilot["trainer"].cfg
    steps = max(20, round(args.seconds * pilot["images_per_s"] / images_per_step(cfg)))
    ours, ref = [], []
    for _ in range(args.repeats):  # interleaved, so that a slow patch of time hits both
        ours.append(ganforge_run(recipe, data, device, steps))
        ref.append(reference_run(recipe, data, device, args.seconds, args.workers))
    trainer = ours[-1]["trainer"]
    ours_rate = statistics.median(r["images_per_s"] for r in ours)
    ref_rate = statistics.median(r["images_per_s"] for r in ref)
    flops = flops_per_step(trainer)
    latent = cfg.model.latent_dim
    gen_ours = generation_rate(
        lambda z: trainer.recipe.sample_images(
            z, trainer.recipe.sample_labels(z.shape[0]) if trainer.recipe.conditional else None
        ),
        latent,
        device,
    )
    gen_ref = generation_rate(lambda z: reference_generation(ref[-1]["recipe"], z), latent, device)
    row: dict[str, Any] = {
        "recipe": recipe,
        "device": str(device),
        "batch_size": cfg.train.batch_size,
        "d_steps": cfg.model.d_steps,
        "ganforge_images_per_s": ours_rate,
        "reference_images_per_s": ref_rate,
        "ratio": ours_rate / ref_rate,
        "ganforge_runs": [r["images_per_s"] for r in ours],
        "reference_runs": [r["images_per_s"] for r in ref],
        "generation_images_per_s": gen_ours,
        "reference_generation_images_per_s": gen_ref,
        "peak_rss_mib": max(r["peak_rss_mib"] for r in ours),
        "reference_peak_rss_mib": max(r["peak_rss_mib"] for r in ref),
        "peak_cuda_mib": ours[-1]["peak_cuda_mib"],
        "reference_peak_cuda_mib": ref[-1]["peak_cuda_mib"],
        "gflop_per_step": flops / 1e9,
        "gflops": flops * ours_rate / images_per_step(cfg) / 1e9,
    }
    row["fraction_of_peak"] = row["gflops"] / peak
    for variant in args.variants:
        # One run: a variant that is slow here (bf16 without native support) must stay short.
        if variant == "bf16":
            probe = ganforge_run(recipe, data, device, 4, warmup=2, precision="bf16")
        else:  # compiling takes its time in the first steps, which the warm-up leaves out
            probe = ganforge_run(recipe, data, device, steps, compile=True)
        row[f"{variant}_images_per_s"] = probe["images_per_s"]
        row[f"{variant}_ratio_to_fp32"] = probe["images_per_s"] / ours_rate
    return row


def print_table(rows: list[dict[str, Any]], variants: list[str]) -> None:
    head = (
        f"{'recipe':<15}{'device':<7}{'batch':>6}{'ganforge':>10}{'reference':>11}{'ratio':>7}"
        f"{'gen img/s':>11}{'(ref)':>8}{'RSS MiB':>9}{'(ref)':>7}{'GFLOP/s':>9}{'% peak':>8}"
        + "".join(f"{v + ' ×fp32':>15}" for v in variants)
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['recipe']:<15}{r['device']:<7}{r['batch_size']:>6}"
            f"{r['ganforge_images_per_s']:>10.0f}{r['reference_images_per_s']:>11.0f}"
            f"{r['ratio']:>6.2f}×{r['generation_images_per_s']:>11.0f}"
            f"{r['reference_generation_images_per_s']:>8.0f}{r['peak_rss_mib']:>9.0f}"
            f"{r['reference_peak_rss_mib']:>7.0f}{r['gflops']:>9.1f}"
            f"{100 * r['fraction_of_peak']:>7.1f}%"
            + "".join(f"{r[v + '_ratio_to_fp32']:>14.2f}×" for v in variants)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=list(DEFAULT_RECIPES))
    default_devices = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    parser.add_argument("--devices", nargs="+", default=default_devices)
    parser.add_argument("--seconds", type=float, default=3.0, help="per timed repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="the reference's DataLoader")
    parser.add_argument("--variants", nargs="*", default=["bf16"], choices=["bf16", "compile"])
    parser.add_argument("--data-dir", type=Path, default=None, help="MNIST IDX files")
    args = parser.parse_args()
    data = load_dataset("mnist", "train", args.data_dir)
    machine = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "data": data.source,
    }
    print(
        f"torch {machine['torch']}, {machine['threads']} CPU threads, "
        f"GPU: {machine['cuda'] or 'none'}; data: {data.source}"
    )
    rows, peaks = [], {}
    for name in args.devices:
        device = torch.device(name)
        peaks[name] = {
            "fp32": matmul_gflops(device, torch.float32),
            "bf16": matmul_gflops(device, torch.bfloat16),
        }
        print(
            f"{name}: matmul peak {peaks[name]['fp32']:.1f} GFLOP/s fp32, "
            f"{peaks[name]['bf16']:.1f} bf16"
        )
        for recipe in args.recipes:
            rows.append(bench_recipe(recipe, data, device, args, peaks[name]["fp32"]))
            print(f"  {recipe}: ×{rows[-1]['ratio']:.2f}", flush=True)
    print()
    print_table(rows, args.variants)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_train-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"machine": machine, "matmul_peak": peaks, "rows": rows}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
