"""``ganforge ablate``: train and score the improved-DCGAN ablation ladder, one rung a trick."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ganforge.cli.evaluate import COLUMNS
from ganforge.cli.options import dataset_option
from ganforge.experiments.ablation_results import AblationResult, run_ablation
from ganforge.experiments.fid_curve import CURVE_SAMPLES, check_curve_samples
from ganforge.experiments.study_results import METRICS
from ganforge.rundir.layout import default_run_dir

SHOWN = [c for c in COLUMNS if c[0] in METRICS]


def _cell(result: dict[str, Any], key: str, fmt: str) -> str:
    """``mean`` or ``mean ± sd`` of one metric, in the evaluate table's format."""
    scale = 1000 if key == "kid_mean" else 1
    mean, sd = result["mean"].get(key), result["sd"].get(key)
    if mean is None:
        return "—"
    text = fmt.format(scale * mean)
    return text + (f" ± {fmt.format(scale * sd)}" if sd is not None else "")


def ablation_table(rungs: list[dict[str, Any]], title: str) -> Table:
    """One row per rung: its name, the mean (± sd over seeds) of each metric, images/s."""
    table = Table(title=title, title_justify="left")
    table.add_column("rung", no_wrap=True)
    shown = [c for c in SHOWN if any(r["mean"].get(c[0]) is not None for r in rungs)]
    for _, label, _ in shown:
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column("img/s", justify="right", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    for r in rungs:
        table.add_row(
            f"{r['rung']}. {r['name']}",
            *(_cell(r, key, fmt) for key, _, fmt in shown),
            _cell(r, "images_per_s", "{:,.0f}"),
            _cell(r, "wall_time_s", "{:.0f}s"),
        )
    return table


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
    seeds: Annotated[int, typer.Option(min=1, help="Runs per rung, with seeds 0..K-1.")] = 1,
    dataset: Annotated[str, dataset_option()] = "mnist",
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder of the dataset's IDX files (gzipped or not).")
    ] = None,
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
) -> None:
    """Train the improved-DCGAN ablation ladder, one run per rung and seed.

    Rungs: 1. [-1,1] + tanh (every trick off), 2. + dropout, extra D steps,
    3. + label smoothing, 4. + input noise: each turns tricks on at the
    recipe's default values. Runs go to OUT/<rung>-<slug>/seed<k>/ (ordinary
    run directories); then OUT/ablation.csv (a row per run), ablation.json
    (per rung: config diff, per-seed metrics, mean and sd) and ablation.png
    (seed 0's final grid per rung, titled with its FID). Metrics are those
    of `ganforge evaluate`. OUT/report.html (self-contained) and report.md
    show the table with a verdict per metric, the grids, GIFs, FID curves
    and losses. A run that fails is reported and the others go on.
    Rerunning with the same --out skips finished runs and recorded
    evaluations, so an interrupted ablation continues.

    [bold]Examples[/]

      ganforge ablate improved-dcgan --seeds 3 --out runs/ablate
      ganforge ablate improved-dcgan --steps 100 --eval-samples 1000
    """
    check_curve_samples(curve_samples)
    console = Console(stderr=True)
    out = out or default_run_dir(f"ablate-{recipe}")
    result = run_ablation(
        recipe,
        out,
        seeds=seeds,
        epochs=budget_epochs,
        steps=steps,
        dataset=dataset,
        data_dir=data_dir,
        eval_samples=eval_samples,
        device=device,
        curve_samples=curve_samples,
        say=lambda text: console.print(text, highlight=False, markup=False, soft_wrap=True),
    )
    budget = f"{steps} steps" if steps is not None else f"{budget_epochs} epochs"
    print_results(result, recipe, budget, seeds, eval_samples)


def print_results(
    result: AblationResult, recipe: str, budget: str, seeds: int, eval_samples: int
) -> None:
    """The rungs' table on stdout, then what was written on stderr."""
    # The table goes to stdout; piped or redirected it gets room for every column.
    table_console = Console() if Console().is_terminal else Console(width=150)
    n_seeds = f"{seeds} seeds, mean ± sd" if seeds > 1 else "1 seed"
    title = f"{recipe} ablation: {budget} per run, {n_seeds}, n = {eval_samples:,}"
    table_console.print(ablation_table(result.rungs, title))
    failed = f"; {result.failures} runs failed, see the report" if result.failures else ""
    Console(stderr=True).print(
        f"wrote {result.out}/report.html, report.md, ablation.csv, ablation.json, ablation.png "
        f"and a run directory per rung{failed}",
        highlight=False,
        soft_wrap=True,
    )
