"""Where one training step's time goes: ``torch.profiler`` over the real Trainer's step.

    python benchmarks/profile_step.py [RECIPE] [--steps 50] [--data-dir DIR]

Trains a few steps to warm up, times ``--steps`` more without the profiler, then profiles as
many and prints the top operators by self time and the share of the matrix products
(``mm``, ``addmm``, convolutions): the part that a loop with the same networks cannot avoid.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from torch.profiler import ProfilerActivity, profile

from ganforge.data import load_dataset
from ganforge.engine.trainer import Trainer
from ganforge.setup.build import make_config

PRODUCTS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::convolution", "aten::mkldnn_convolution",
            "aten::convolution_backward")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", nargs="?", default="gan")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    data = load_dataset("mnist", "train", args.data_dir)
    settings = {"steps": 10, "sample_every": 0, "log_every": 10, "device": "cpu"}
    cfg = make_config(args.recipe, overrides={"train": settings})
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, Path(tmp) / "run", data=data, display=False)
        with contextlib.redirect_stderr(None), contextlib.redirect_stdout(None):
            trainer.run()  # warm-up, through the real entry point
        drawn = trainer.step_batches(trainer.stream.epoch(0, 0))

        def steps(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                trainer.train_step(drawn)
                trainer.step += 1
            return (time.perf_counter() - start) / n

        plain = steps(args.steps)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            profiled = steps(args.steps)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    products = sum(e.self_cpu_time_total for e in events if e.key in PRODUCTS)
    print(events.table(sort_by="self_cpu_time_total", row_limit=15))
    batch = cfg.train.batch_size * cfg.model.batches_per_step
    print(
        f"{args.recipe} at batch {cfg.train.batch_size}: {plain * 1e3:.2f} ms per step "
        f"({batch / plain:.0f} img/s), {profiled * 1e3:.2f} ms under the profiler; matrix "
        f"products {products / total:.0%} of the profiled time "
        f"({products / total * plain * 1e3:.2f} ms of an unprofiled step)"
    )


if __name__ == "__main__":
    main()
