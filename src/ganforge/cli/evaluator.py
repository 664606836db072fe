"""``ganforge evaluator``: train (or retrain) the classifier whose features the metrics use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ganforge.cli.options import (
    data_option,
    data_source_of,
    dataset_option,
    holdout_option,
    test_data_option,
)
from ganforge.config import SEED_MAX
from ganforge.data import DataSource
from ganforge.errors import ConfigError
from ganforge.evaluation.classifier import (
    Evaluator,
    evaluator_path,
    load_evaluator,
    train_evaluator,
)

app = typer.Typer(
    help="The evaluator: ganforge's own per-dataset CNN whose features and classes the "
    "metrics use. It is trained automatically the first time a metric needs it.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _group() -> None:
    # A callback keeps this a command group even with one command: without it typer would
    # collapse the sub-app into `train` itself when the app is run on its own (as in tests).
    pass


@app.command("train")
def train(
    dataset: Annotated[str | None, dataset_option(" [mnist]")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of IDX files (gzipped or not) to use instead of the download."),
    ] = None,
    data: Annotated[Path | None, data_option("Your own images")] = None,
    test_data: Annotated[Path | None, test_data_option()] = None,
    holdout: Annotated[float | None, holdout_option()] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            min=1, help="Passes over the training split (default: 12 for 10k images, 8 for 60k)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0, max=SEED_MAX, help="Seed of weights, data order and augmentation (default: 0)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Retrain even if an evaluator for this data is cached.")
    ] = False,
) -> None:
    """Train the evaluator on a dataset's training split and cache it in the ganforge home.

    Without --force, an evaluator cached for the same training data is kept.
    Metrics record its weights hash: after retraining, new numbers and old are not comparable.

    [bold]Examples[/]

      ganforge evaluator train
      ganforge evaluator train --dataset fashion-mnist
      ganforge evaluator train --data-dir ../shared/data/mnist-subset
      ganforge evaluator train --force --seed 1     (replace the cached one)
      ganforge evaluator train --data ~/my-digits   (unlabelled: the rotation task)
    """
    source = DataSource.of(data_source_of(dataset, data, test_data, holdout), data_dir)
    path = evaluator_path(source.dataset, source.load("train").fingerprint)
    console = Console()
    if not force and path.exists():
        evaluator = load_evaluator(source, train_if_missing=False)
        asked = {"epochs": epochs, "seed": seed}
        had = {"epochs": evaluator.epochs, "seed": evaluator.seed}
        differ = [f"--{k} {v}" for k, v in asked.items() if v is not None and v != had[k]]
        if differ:
            raise ConfigError(
                f"the cached evaluator {path} was trained with epochs {evaluator.epochs}, "
                f"seed {evaluator.seed}; add --force to retrain it with {' '.join(differ)}"
            )
        console.print(
            f"already trained (use --force to retrain): {path}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    else:
        evaluator = train_evaluator(source, epochs=epochs, seed=seed or 0)
    _report(console, evaluator)


def _report(console: Console, evaluator: Evaluator) -> None:
    task = "" if evaluator.classifies else " of the rotation task (unlabelled data)"
    console.print(
        f"evaluator {evaluator.dataset} (training data {evaluator.data_fingerprint}, "
        f"{evaluator.epochs} epochs, seed {evaluator.seed})\n"
        f"  test accuracy  {evaluator.test_accuracy:.2%}{task}\n"
        f"  weights hash   {evaluator.weights_hash}\n"
        f"  cache file     {evaluator.path}",
        highlight=False,
    )
