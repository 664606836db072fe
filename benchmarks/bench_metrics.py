"""The nearest-neighbour metrics of one evaluation: ``summarize``'s shared k-NN pass against
precision/recall and density/coverage computed one after the other (which repeats the
10,000 × 10,000 k-NN pass over the reals and the pass over real × fake distances).

    python benchmarks/bench_metrics.py [--n-real 10000] [--n-fake 10000] [--repeats 3]

Synthetic 128-d float64 features, the evaluator's width; the time of these passes does not
depend on what the features hold. Prints the best of ``--repeats`` seconds of each and their
ratio, and checks that both give the same four numbers.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from ganforge.evaluation.neighbour_metrics import (
    CHUNK_ROWS,
    DC_K,
    PR_K,
    ball_metrics,
    density_coverage,
    precision_recall,
)


def best_seconds(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-real", type=int, default=10_000)
    parser.add_argument("--n-fake", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    g = torch.Generator().manual_seed(0)
    real = torch.randn(args.n_real, 128, generator=g, dtype=torch.float64)
    fake = torch.randn(args.n_fake, 128, generator=g, dtype=torch.float64) * 1.1 + 0.1

    def apart() -> tuple[float, ...]:
        return (*precision_recall(real, fake), *density_coverage(real, fake))

    def shared() -> tuple[float, ...]:
        return ball_metrics(real, fake, PR_K, DC_K, CHUNK_ROWS)

    base, base_result = best_seconds(apart, args.repeats)
    fast, fast_result = best_seconds(shared, args.repeats)
    print(
        f"{args.n_real} real × {args.n_fake} fake, 128-d, {torch.get_num_threads()} threads, "
        f"best of {args.repeats}"
    )
    print(f"  one after the other (baseline): {base:6.2f} s")
    print(f"  shared pass (summarize):        {fast:6.2f} s   ×{base / fast:.2f} faster")
    print(f"  same numbers: {base_result == fast_result}  {fast_result}")


if __name__ == "__main__":
    main()
