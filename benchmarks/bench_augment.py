"""The augmentation of D's images (``model.augment``): ganforge's own pipe against
kornia.augmentation, and what augmentation costs training, in one process.

    python benchmarks/bench_augment.py --data-dir ../shared/data/mnist-subset
        [--steps 200] [--repeats 5] [--recipes dcgan,acgan,gan,wgan-gp] [--no-train]

1. The pipe alone, a batch of 64 1×28×28 images, forward and backward (the gradient w.r.t.
   the images), on 1 and on 2 threads: ganforge's ADA policy at p = 1 (translation, scale,
   rotation, brightness, contrast, cutout) and its DiffAugment policy, against kornia's
   nearest equivalents (``RandomAffine`` for the geometry, ``RandomBrightness``,
   ``RandomContrast``, ``RandomErasing``, on the images rescaled to [0, 1] as kornia's colour
   operations require), and kornia's ``RandomAffine`` alone against ganforge's geometry alone.
   Medians of ``--repeats`` interleaved repeats of 50 calls each, after 10 warm-up calls.
   Then ganforge's ADA policy at p = 0, 0.1, 0.3 and 1: each operation runs on the images
   it is applied to only, so the pipe's cost follows p.
2. kornia's behaviour on 1-channel data in ganforge's range [-1, 1]: what its colour
   operations do to black, whether gradients reach the input, whether seeded draws repeat.
3. Training images/s per recipe (its own batch size) with ``augment`` none, diffaugment and
   ada, through the real ``Trainer`` for ``--steps`` steps after 20 warm-up steps, modes
   interleaved; the ratio of each to none, and the p ADA had reached at the end (it starts
   at 0, so a short run measures ADA at a small p: the "by p" table gives the rest).

Prints the figures; no timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from ganforge.config import AUGMENT_OPS, ModelConfig
from ganforge.data import load_dataset
from ganforge.engine.trainer import Trainer
from ganforge.models.augment import AugmentPipe
from ganforge.setup.build import make_config

# The strengths ganforge ships (ModelConfig's augment_<op> defaults).
STRENGTHS = {op: float(getattr(ModelConfig(), f"augment_{op}")) for op in AUGMENT_OPS}
ADA = ("translation", "scale", "rotation", "brightness", "contrast", "cutout")
DIFFAUGMENT = ("translation", "brightness", "contrast", "cutout")


def timed(fn: Callable[[], None], calls: int = 50) -> float:
    """Seconds per call of ``fn`` over ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def ours(policy: tuple[str, ...], p: float = 1.0) -> Callable[[torch.Tensor], torch.Tensor]:
    pipe = AugmentPipe(policy, STRENGTHS, "-1,1")
    return lambda x: pipe(x, pipe.draw(x.shape[0], x.device), p)


def kornia_pipe(policy: tuple[str, ...]) -> Callable[[torch.Tensor], torch.Tensor]:
    """kornia's nearest equivalent of ``policy`` (every op at p = 1), on [0, 1] images."""
    import kornia.augmentation as K

    geometry = {
        "degrees": STRENGTHS["rotation"] if "rotation" in policy else 0.0,
        "translate": (0.125, 0.125) if "translation" in policy else None,
        "scale": (2**-0.2, 2**0.2) if "scale" in policy else None,
    }
    steps = [K.RandomAffine(**geometry, p=1.0)]
    if "brightness" in policy:
        steps.append(K.RandomBrightness(brightness=(0.75, 1.25), p=1.0))
    if "contrast" in policy:
        steps.append(K.RandomContrast(contrast=(0.5, 1.5), p=1.0))
    if "cutout" in policy:
        steps.append(K.RandomErasing(scale=(0.25, 0.25), ratio=(1.0, 1.0), p=1.0))
    seq = K.AugmentationSequential(*steps)
    return lambda x: seq((x + 1) / 2) * 2 - 1


def pipe_figures(repeats: int, with_kornia: bool) -> None:
    x0 = torch.rand(64, 1, 28, 28) * 2 - 1
    pairs = {
        "ganforge ADA policy": ("kornia ADA-like", ADA),
        "ganforge DiffAugment policy": ("kornia DiffAugment-like", DIFFAUGMENT),
        "ganforge geometry (translate, scale, rotate)": ("kornia RandomAffine", ADA[:3]),
    }
    cases = {}
    for name, (theirs, policy) in pairs.items():
        cases[name] = ours(policy)
        if with_kornia:
            cases[theirs] = kornia_pipe(policy)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for fn in cases.values():  # warm-up
            x = x0.clone().requires_grad_(True)
            timed(lambda fn=fn, x=x: fn(x).sum().backward(), 10)
        for _ in range(repeats):
            for name, fn in cases.items():
                x = x0.clone().requires_grad_(True)
                times[name].append(timed(lambda fn=fn, x=x: fn(x).sum().backward()))
        print(f"\nthe pipe, batch 64, forward + backward, {threads} thread(s): ms per call")
        medians = {name: statistics.median(t) * 1e3 for name, t in times.items()}
        for ours_name, (theirs, _) in pairs.items():
            a, line = medians[ours_name], f"  {ours_name:46s} {medians[ours_name]:7.3f}"
            if theirs in medians:
                b = medians[theirs]
                line += f"   {theirs:26s} {b:7.3f}   kornia/ours {b / a:5.2f}"
            print(line)


def p_figures(repeats: int) -> None:
    """ganforge's ADA policy at several p, forward and backward, 1 thread; ratio to p = 1."""
    torch.set_num_threads(1)
    x0 = torch.rand(64, 1, 28, 28) * 2 - 1
    cases = {p: ours(ADA, p) for p in (0.0, 0.1, 0.3, 1.0)}
    times: dict[float, list[float]] = {p: [] for p in cases}
    for _ in range(repeats):
        for p, fn in cases.items():
            x = x0.clone().requires_grad_(True)
            timed(lambda fn=fn, x=x: fn(x).sum().backward(), 5)
            times[p].append(timed(lambda fn=fn, x=x: fn(x).sum().backward()))
    full = statistics.median(times[1.0])
    print("\nganforge's ADA policy by p, batch 64, forward + backward, 1 thread: ms per call")
    for p, t in times.items():
        ms = statistics.median(t)
        print(f"  p = {p:.1f}  {ms * 1e3:7.3f}   ÷ p = 1: {ms / full:5.2f}")


def kornia_behaviour() -> None:
    import kornia
    import kornia.augmentation as K

    print(f"\nkornia {kornia.__version__} on 1-channel images in [-1, 1]")
    black = torch.full((2, 1, 4, 4), -1.0, requires_grad=True)
    out = K.RandomBrightness(brightness=(1.0, 1.0), p=1.0)(black)
    print(f"  RandomBrightness with factor 1 (no change) maps black -1 to {out[0, 0, 0, 0]:.2f}")
    half = torch.cat([torch.zeros(1, 1, 2, 4), torch.ones(1, 1, 2, 4)], 2).requires_grad_(True)
    out = K.RandomContrast(contrast=(0.5, 0.5), p=1.0)(half)
    print(
        f"  RandomContrast 0.5 on a half-white image in [0, 1] (mean 0.5): "
        f"{out[0, 0, 0, 0]:.2f} and {out[0, 0, 3, 0]:.2f} (about its mean: 0.25 and 0.75)"
    )
    try:
        K.RandomErasing(value=-1.0, p=1.0)
        print("  RandomErasing fills with -1")
    except (AssertionError, ValueError) as err:
        print(f"  RandomErasing(value=-1): refused ({str(err)[:60]})")
    x = torch.rand(4, 1, 28, 28, requires_grad=True)
    K.RandomAffine(15.0, (0.125, 0.125), (0.87, 1.15), p=1.0)(x).sum().backward()
    print(f"  RandomAffine: gradient w.r.t. the input finite and nonzero: {_fine(x.grad)}")
    seq = kornia_pipe(ADA)
    torch.manual_seed(0)
    a = seq(x.detach())
    torch.manual_seed(0)
    print(f"  seeded draws repeat: {torch.equal(a, seq(x.detach()))}")


def _fine(grad: torch.Tensor | None) -> bool:
    return grad is not None and bool(torch.isfinite(grad).all()) and bool(grad.abs().sum() > 0)


def train_figures(data_dir: Path, recipes: list[str], steps: int, repeats: int) -> None:
    torch.set_num_threads(2)
    full = load_dataset("mnist", "train", data_dir)
    print(f"\ntraining images/s, {steps} steps after 20 warm-up, 2 threads, median of {repeats}")
    for recipe in recipes:
        rates: dict[str, list[float]] = {"none": [], "diffaugment": [], "ada": []}
        ada_p: list[float] = []
        for _ in range(repeats):
            for mode in rates:
                rate, p = _train_rate(recipe, mode, full, steps)
                rates[mode].append(rate)
                ada_p += [p] if mode == "ada" else []
        base = statistics.median(rates["none"])
        line = f"  {recipe:8s} none {base:6.0f}"
        for mode in ("diffaugment", "ada"):
            value = statistics.median(rates[mode])
            line += f"   {mode} {value:6.0f} ({value / base:.2f}×)"
        print(f"{line}   ADA's p at the end {min(ada_p):.3f}–{max(ada_p):.3f}", flush=True)


def _train_rate(recipe: str, mode: str, data, steps: int) -> tuple[float, float]:
    """Images/s of ``steps`` steps of ``recipe`` with ``augment`` ``mode``, after 20, and
    the augmentation's p at the end (ADA's, which starts at 0; 1 for DiffAugment)."""
    cfg = make_config(recipe, overrides={"model": {"augment": mode}, "train": {"steps": 10**6}})
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, Path(tmp) / "run", data=data, display=False)
        try:
            trainer.recipe.train()
            batches = trainer.stream.epoch(0)
            for warm in (True, False):
                start = time.perf_counter()
                for _ in range(20 if warm else steps):
                    stats = trainer.train_step(trainer.step_batches(batches))
                    trainer.step += 1
                stats.tolist()  # wait for the device
            seconds = time.perf_counter() - start
            augmentation = trainer.recipe.augmentation
            p = float(augmentation.p) if augmentation is not None else 0.0
        finally:
            trainer.close()
    return steps * cfg.train.batch_size * cfg.model.batches_per_step / seconds, p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--recipes", default="dcgan,acgan,gan,wgan-gp")
    parser.add_argument("--no-train", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads available")
    with_kornia = importlib.util.find_spec("kornia") is not None
    if not with_kornia:
        print("kornia is not installed (pip install kornia): ganforge's figures alone")
    pipe_figures(args.repeats, with_kornia)
    p_figures(args.repeats)
    if with_kornia:
        kornia_behaviour()
    if not args.no_train:
        train_figures(args.data_dir, args.recipes.split(","), args.steps, max(1, args.repeats // 2))


if __name__ == "__main__":
    main()
