"""``ganforge ablate``: train and score the improved-DCGAN ablation ladder, one rung a trick."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ganforge.cli.options import (
    data_dir_option,
    data_fraction_option,
    data_limit_option,
    data_limit_seed_option,
    data_option,
    data_source_of,
    dataset_option,
    holdout_option,
    test_data_option,
    with_data_limit,
)
from ganforge.cli.tables import print_table, table_console
from ganforge.experiments.ablation_results import AblationResult, run_ablation
from ganforge.experiments.fid_curve import CURVE_SAMPLES, check_curve_samples
from ganforge.reporting.report_table import table_cells
from ganforge.rundir.layout import default_run_dir


def ablate(
    recipe: Annotated[
        str,
        typer.Argument(help="Recipe to ablate: improved-dcgan, or any with the ladder's fields."),
    ],
    budget_epochs: Annotated[
        int, typer.Option(min=1, help="Epochs per run: the same image budget for every rung.")
    ] = 5,
    steps: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Stop each run after this many G steps instead (for quick runs: rungs with "
            "2 D steps per G step then see twice the images).",
        ),
    ] = None,
    seeds: Annotated[
        int, typer.Option(min=1, max=1000, help="Runs per rung, with seeds 0..K-1.")
    ] = 1,
    dataset: Annotated[str | None, dataset_option(" [mnist]")] = None,
    data_dir: Annotated[Path | None, data_dir_option()] = None,
    data: Annotated[Path | None, data_option()] = None,
    test_data: Annotated[Path | None, test_data_option()] = None,
    holdout: Annotated[float | None, holdout_option()] = None,
    data_limit: Annotated[int | None, data_limit_option()] = None,
    data_fraction: Annotated[float | None, data_fraction_option()] = None,
    data_limit_seed: Annotated[int | None, data_limit_seed_option()] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Ablation folder (default: runs/ablate-RECIPE-TIME)."),
    ] = None,
    eval_samples: Annotated[
        int, typer.Option(min=100, max=100_000, help="Samples per evaluation (compare at equal n).")
    ] = 10_000,
    curve_samples: Annotated[
        int,
        typer.Option(
            min=0,
            max=100_000,
            help="Samples per point of the FID curves (each epoch's checkpoint); 0: none.",
        ),
    ] = CURVE_SAMPLES,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:N or mps.")] = "auto",
    ladder: Annotated[
        str,
        typer.Option(
            help="tricks: improved-DCGAN's tricks one group at a time; augment: D's "
            "augmentation, none → DiffAugment → ADA, on any recipe as shipped."
        ),
    ] = "tricks",
    rungs: Annotated[
        str | None,
        typer.Option(
            help="Train only these rungs: their numbers or names, comma-separated "
            "(--rungs 1,3 or --rungs none,ada); the report shows those.",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override one key for every run, e.g. --set train.checkpoint_every=1000steps "
            "(repeatable; not a field the ladder sets).",
        ),
    ] = None,
) -> None:
    """Train an ablation ladder, one run per rung and seed.

    --ladder tricks (improved-DCGAN's): 1. [-1,1] + tanh (every trick off),
    2. + dropout, extra D steps, 3. + label smoothing, 4. + input noise: each
    turns tricks on at the recipe's default values. --ladder augment: 1. no
    augmentation, 2. DiffAugment, 3. ADA (model.augment), any recipe. --rungs
    picks some of them; --set changes a key for every run. Runs go to
    OUT/<rung>-<slug>/seed<k>/ (ordinary run directories); then
    OUT/ablation.csv (a row per run), ablation.json (per rung: config diff,
    per-seed metrics, mean and sd) and ablation.png
    (seed 0's final grid per rung, titled with its FID). Metrics are those
    of `ganforge evaluate`. OUT/report.html (self-contained) and report.md
    show the table with a verdict per metric, the grids, GIFs, FID curves
    and losses. A run that fails is reported and the others go on.
    Rerunning with the same --out skips finished runs and recorded
    evaluations, so an interrupted ablation continues.

    [bold]Examples[/]

      ganforge ablate improved-dcgan --seeds 3 --out runs/ablate
      ganforge ablate improved-dcgan --steps 100 --eval-samples 1000
      ganforge ablate improved-dcgan --data ~/my-digits --holdout 0.2   (your images)
      ganforge ablate dcgan --ladder augment --steps 5000 --seeds 3
      ganforge ablate acgan --ladder augment --rungs none,ada --data-limit 1000
    """
    check_curve_samples(curve_samples)
    source = data_source_of(dataset, data, test_data, holdout)
    source = with_data_limit(source, data_limit, data_fraction, data_limit_seed)
    console = Console(stderr=True)
    out = out or default_run_dir(f"ablate-{recipe}")
    result = run_ablation(
        recipe,
        out,
        seeds=seeds,
        epochs=budget_epochs,
        steps=steps,
        dataset=source,
        data_dir=data_dir,
        eval_samples=eval_samples,
        device=device,
        curve_samples=curve_samples,
        kind=ladder,
        settings=set_ or [],
        only=[name for name in (rungs or "").split(",") if name.strip()],
        say=lambda text: console.print(text, highlight=False, markup=False, soft_wrap=True),
    )
    budget = f"{steps} steps" if steps is not None else f"{budget_epochs} epochs"
    print_results(result, recipe, budget, seeds, eval_samples)


def print_results(
    result: AblationResult, recipe: str, budget: str, seeds: int, eval_samples: int
) -> None:
    """The rungs' table on stdout, then what was written on stderr."""
    # The report's table on stdout, folded to the terminal's width; piped, 200 columns.
    n_seeds = f"{seeds} seeds, mean ± sd" if seeds > 1 else "1 seed"
    title = f"{recipe} ablation: {budget} per run, {n_seeds}, n = {eval_samples:,}"
    rungs = [{**r, "name": f"{r['rung']}. {r['name']}"} for r in result.rungs]
    print_table(table_console(), title, *table_cells(rungs))
    failed = f"; {result.failures} runs failed, see the report" if result.failures else ""
    Console(stderr=True).print(
        f"wrote {result.out}/report.html, report.md, ablation.csv, ablation.json, ablation.png "
        f"and a run directory per rung{failed}",
        highlight=False,
        soft_wrap=True,
    )
