"""Throughput of ganforge's design choices for the default recipes, against alternatives,
measured in one process on synthetic batches (no data loading: only the model step is timed).

    python benchmarks/bench_design.py [--repeats 3] [--steps 30]

Prints training images/s per variant and its ratio to the baseline variant of its group.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from ganforge.models.weights import frozen
from ganforge.setup.build import build_recipe, make_config


def images_per_s(
    recipe_name: str, overrides: dict, freeze_d: bool, steps: int, repeats: int
) -> float:
    cfg = make_config(
        recipe_name,
        overrides={"model": overrides.get("model", {}), "train": overrides.get("train", {})},
    )
    torch.manual_seed(0)
    recipe = build_recipe(cfg, 10)
    opt_g, opt_d = recipe.make_optimizers()
    batch = cfg.train.batch_size
    real = torch.rand(batch, 1, 28, 28) * 2 - 1
    labels = torch.randint(0, 10, (batch,))

    def step() -> None:
        for _ in range(cfg.model.d_steps):
            loss, _ = recipe.discriminator_step_loss(real, labels)
            opt_d.zero_grad(set_to_none=True)
            loss.backward()
            opt_d.step()
        undo: Callable[[], None] = frozen(recipe.discriminator) if freeze_d else (lambda: None)
        g_loss, _ = recipe.generator_step_loss(batch)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        undo()

    for _ in range(5):  # warm-up
        step()
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(steps):
            step()
        best = max(best, steps * batch * cfg.model.d_steps / (time.perf_counter() - t))
    return best


GROUPS = {
    "D frozen during the G step (dcgan)": [
        ("frozen (ganforge)", "dcgan", {}, True),
        ("not frozen", "dcgan", {}, False),
    ],
    "batch size (dcgan)": [
        ("64 (ganforge)", "dcgan", {}, True),
        ("32", "dcgan", {"train": {"batch_size": 32}}, True),
        ("128", "dcgan", {"train": {"batch_size": 128}}, True),
    ],
    "G width at 14×14 (dcgan)": [
        ("64 (ganforge)", "dcgan", {}, True),
        ("128", "dcgan", {"model": {"g_channels": 128}}, True),
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for group, variants in GROUPS.items():
        print(f"\n{group}")
        base = None
        for label, recipe, overrides, freeze in variants:
            ips = images_per_s(recipe, overrides, freeze, args.steps, args.repeats)
            base = base or ips
            print(f"  {label:<22} {ips:8.0f} img/s   ×{ips / base:.2f}")


if __name__ == "__main__":
    main()
