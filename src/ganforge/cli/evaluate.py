"""``ganforge evaluate``: FID, KID, precision/recall, density/coverage, IS and class metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ganforge.api.scores import N_MAX, N_MIN
from ganforge.api.scores import evaluate as api_evaluate
from ganforge.cli.options import (
    data_option,
    dataset_option,
    holdout_option,
    test_data_option,
)
from ganforge.cli.tables import print_table, table_console
from ganforge.config import SEED_MAX
from ganforge.reporting.metric_format import METRIC_FORMATS, format_metric, number

# The metrics of a set, in the table's order (each shown by ganforge's one formatter).
COLUMNS = (
    *("fid", "inception_fid", "kid_mean", "precision", "recall", "density", "coverage"),
    *("inception_score_mean", "classes_covered", "class_kl", "class_accuracy"),
)


def metrics_cells(results: dict[str, dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one row per evaluated set, a column per metric some set has (↑
    higher is better, ↓ lower), each cell in the one format of every table."""
    shown = [k for k in COLUMNS if any(number(r.get(k)) is not None for r in results.values())]
    header = ["set", *(METRIC_FORMATS[k].header for k in shown)]
    rows = [[name, *(format_metric(k, r.get(k)) for k in shown)] for name, r in results.items()]
    return header, rows


def evaluate(
    run_dir: Annotated[
        Path | None, typer.Argument(help="Run directory (or checkpoint file) to sample from.")
    ] = None,
    samples: Annotated[
        Path | None,
        typer.Option(
            help="Evaluate these N×28×28 images instead of a run: a .npy, or an .npz with "
            "'images' (or 'samples', or one array) and optionally 'labels'; uint8, or floats "
            "in [0,1] or [-1,1]."
        ),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="Requested class per sample (.npy), with --samples.")
    ] = None,
    dataset: Annotated[str | None, dataset_option(" [the run's]")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder of the dataset's IDX files.")
    ] = None,
    data: Annotated[Path | None, data_option("Measure against your own images")] = None,
    test_data: Annotated[Path | None, test_data_option()] = None,
    holdout: Annotated[float | None, holdout_option()] = None,
    n: Annotated[
        int, typer.Option(min=N_MIN, max=N_MAX, help="Samples to draw from a run.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Latent seed of the samples.")] = 0,
    checkpoint: Annotated[
        Path | None, typer.Option(help="A checkpoint other than the last.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Metrics JSON [RUN_DIR/metrics.json or ./metrics.json].")
    ] = None,
    calibration: Annotated[
        bool, typer.Option(help="Score known sets (real, blurred, one class, noise) instead.")
    ] = False,
    device: Annotated[
        str, typer.Option(help="Device to sample on (and to run Inception-V3 on).")
    ] = "cpu",
    inception: Annotated[
        bool,
        typer.Option(
            help="Also Inception-V3 FID under the published protocol (ImageNet features, grey "
            "tiled to 3 channels, real = the 10k test split). Needs pip install "
            "'ganforge\\[inception]' and its weights (downloaded once into torch hub's cache). "
            "Slow on a CPU: about an hour per 10,000 images (the test split's once, then "
            "cached; then the samples'); minutes with --device cuda."
        ),
    ] = False,
) -> None:
    """Measure sample quality against the dataset's test split, offline.

    Features and classes come from ganforge's own classifier for the dataset (trained on
    first use, about a minute on a CPU); on unlabelled images, from a network trained to
    tell rotations apart, without the class metrics. Numbers are comparable at equal --n
    only.

    --inception adds the literature's Inception-V3 FID (off by default: ImageNet
    features on grey digits). Its package and weights are checked before anything
    is sampled or written; metrics.json is written once, with every metric in it.

    [bold]Examples[/]

      ganforge evaluate runs/dcgan-20261122-101010
      ganforge evaluate runs/acgan-… --n 5000 --out acgan.json
      ganforge evaluate --samples samples.npy --labels samples_labels.npy
      ganforge evaluate --samples fakes.npz    (arrays 'images' and 'labels')
      ganforge evaluate runs/dcgan-… --inception --device cuda
      ganforge evaluate --calibration --data-dir ../shared/data/mnist-subset
      ganforge evaluate runs/dcgan-…    (a run on your own images: measured against them)
      ganforge evaluate --calibration --data ~/my-digits
    """
    scores = api_evaluate(
        run_dir,
        samples=samples,
        labels=labels,
        calibration=calibration,
        dataset=dataset,
        data=data,
        test_data=test_data,
        holdout=holdout,
        data_dir=data_dir,
        n=n,
        seed=seed,
        checkpoint=checkpoint,
        device=device,
        inception=inception,
    )
    # On stdout, folded to the terminal's width; piped, it gets 200 columns.
    print_table(table_console(), scores.title, *metrics_cells(scores.sets))
    out = scores.save(out)
    Console(stderr=True).print(f"wrote {out}", highlight=False, markup=False, soft_wrap=True)
