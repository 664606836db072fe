"""Run under torchrun by ``test_distributed.py``: two data-parallel training steps of each
named recipe (and, for the presets whose classic quirk trains D in G's step, of that quirk
too), through the real ``Trainer.train_step``, with DDP's ``find_unused_parameters`` off.

DDP raises at a step's forward when a parameter got no gradient in the step before, so a
second step passes only if every parameter of G and D was reached; the weights must then be
the same in every process (DDP averaged the gradients) and differ from the initial ones.
Prints ``ok RECIPE`` per recipe; any failure raises.

    torchrun --nproc-per-node 2 ddp_step_worker.py OUT_DIR MNIST_DIR RECIPE... | all
"""

import dataclasses
import sys
import time
from pathlib import Path

import torch

from ganforge.data import load_dataset
from ganforge.engine.distributed import Distributed, process_group
from ganforge.engine.trainer import Trainer
from ganforge.models import RECIPES
from ganforge.setup.build import make_config

STEPS = 2


def weights(trainer: Trainer) -> torch.Tensor:
    nets = (trainer.recipe.generator, trainer.recipe.discriminator)
    return torch.cat([p.detach().flatten().cpu() for net in nets for p in net.parameters()])


def check(name: str, model: dict, out: Path, data, dist: Distributed) -> None:
    started = time.perf_counter()
    # 2 images per process: the 14.8M-parameter G of the acgan-mult preset (stepped with and
    # without its quirk) took 35 s of this script's 73 at 4 images per process, 14 s at 2.
    train = {"batch_size": 2 * dist.world_size, "steps": STEPS, "log_every": 1}
    cfg = make_config(name, overrides={"train": train, "model": model})
    trainer = Trainer(cfg, out, data=data, display=False, dist=dist)
    try:
        before = weights(trainer)
        trainer.recipe.train()
        batches = trainer.stream.epoch(0)
        for _ in range(STEPS):
            trainer.train_step(trainer.step_batches(batches))
            trainer.step += 1
        after = weights(trainer)
    finally:
        trainer.close()
    spread = (dist.all_sum(after) - dist.world_size * after.double()).abs().max().item()
    if spread != 0.0:
        raise AssertionError(f"{name}: the processes' weights differ by up to {spread}")
    if torch.equal(before, after):
        raise AssertionError(f"{name}: the weights did not change")
    if dist.is_main:
        took = time.perf_counter() - started
        print(f"ok {name}{' (classic quirks)' if model else ''} {took:.2f}s", flush=True)


def main(out: Path, data_dir: Path, names: list[str]) -> None:
    torch.set_num_threads(1)
    full = load_dataset("mnist", "train", data_dir)
    # 512 images are plenty for 2 steps, and the presets at 32×32 and 64×64 resize the whole
    # set when their trainer starts (seconds per recipe for all 10,000).
    data = dataclasses.replace(full, images=full.images[:512], labels=full.labels[:512])
    with process_group(make_config("gan").train) as dist:
        assert dist.enabled, "run me under torchrun with 2 or more processes"
        for name in sorted(RECIPES) if names == ["all"] else names:
            check(name, {}, out / name, data, dist)
            if "d_trains_in_g_step" in RECIPES[name].config_cls.quirks:
                check(name, {"classic_quirks": True}, out / f"{name}-quirks", data, dist)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
