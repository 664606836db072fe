"""``ganforge compare``: train several recipes under one budget and seeds, score them, and
report which is best and how sure that is."""

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
from ganforge.config import parse_assignments
from ganforge.experiments.comparison import DEFAULT_BUDGET_MINUTES
from ganforge.experiments.comparison_results import compare_options, count, run_compare
from ganforge.experiments.fid_curve import CURVE_SAMPLES, check_curve_samples
from ganforge.experiments.study_run import StudyResult
from ganforge.models.recipes import DEFAULT_RECIPES
from ganforge.reporting.report_table import table_cells, verdicts
from ganforge.rundir.layout import default_run_dir


def compare(
    recipes: Annotated[
        list[str] | None,
        typer.Argument(help=f"Recipes to compare \\[default: {' '.join(DEFAULT_RECIPES)}]."),
    ] = None,
    budget_epochs: Annotated[
        int | None,
        typer.Option(min=1, help="Budget per run in epochs: the same images for every recipe."),
    ] = None,
    budget_minutes: Annotated[
        float | None,
        typer.Option(
            help="Budget per run in minutes of training (evaluations excluded): the same time "
            f"for every recipe \\[default: {DEFAULT_BUDGET_MINUTES:g}, when no budget is given].",
        ),
    ] = None,
    seeds: Annotated[
        int, typer.Option(min=1, max=1000, help="Runs per recipe, with seeds 0..K-1.")
    ] = 3,
    dataset: Annotated[str | None, dataset_option(" [mnist]")] = None,
    data_dir: Annotated[Path | None, data_dir_option()] = None,
    data: Annotated[Path | None, data_option()] = None,
    test_data: Annotated[Path | None, test_data_option()] = None,
    holdout: Annotated[float | None, holdout_option()] = None,
    data_limit: Annotated[int | None, data_limit_option()] = None,
    data_fraction: Annotated[float | None, data_fraction_option()] = None,
    data_limit_seed: Annotated[int | None, data_limit_seed_option()] = None,
    out: Annotated[
        Path | None, typer.Option(help="Comparison folder (default: runs/compare-TIME).")
    ] = None,
    reuse: Annotated[
        bool,
        typer.Option(help="Pick up the finished runs in --out and continue the unfinished ones."),
    ] = False,
    eval_samples: Annotated[
        int, typer.Option(min=100, max=100_000, help="Samples per final evaluation.")
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
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override one key for every recipe, e.g. --set train.log_every=50 (repeatable).",
        ),
    ] = None,
) -> None:
    """Train recipes under the same budget and seeds, score each, and report.

    Runs go to OUT/<recipe>/seed<k>/ (ordinary run directories), each
    scored at its end as `ganforge evaluate` does, and each epoch's
    checkpoint by FID for the curves. Then OUT/report.html (one self-contained file:
    the table as mean ± sd over seeds, a verdict per metric, final grids,
    GIFs, FID against epoch and time, losses, provenance), report.md (with
    its images in report_files/), results.csv and results.json (a row per
    run). A run that fails is reported and the others go on. --reuse picks
    up finished runs and continues cut-short ones.

    [bold]Examples[/]

      ganforge compare --data-dir data/mnist-subset    (6 recipes × 3 seeds, 45 s each)
      ganforge compare dcgan wgan-gp --budget-epochs 5 --seeds 5
      ganforge compare --out runs/compare --reuse     (continue an interrupted one)
      ganforge compare dcgan acgan --data ~/my-digits --budget-epochs 5   (your images)
    """
    check_curve_samples(curve_samples)
    source = data_source_of(dataset, data, test_data, holdout)
    source = with_data_limit(source, data_limit, data_fraction, data_limit_seed)
    overrides = parse_assignments(set_ or [])
    console = Console(stderr=True)
    out = out or default_run_dir("compare")
    options = compare_options(
        seeds,
        source,
        eval_samples,
        curve_samples,
        budget_epochs,
        budget_minutes,
        device,
        set_ or [],
    )
    result, _ = run_compare(
        recipes or [],
        out,
        seeds=seeds,
        dataset=source,
        data_dir=data_dir,
        budget_epochs=budget_epochs,
        budget_minutes=budget_minutes,
        eval_samples=eval_samples,
        curve_samples=curve_samples,
        device=device,
        reuse=reuse,
        overrides=overrides,
        options=options,
        say=lambda text: console.print(text, highlight=False, markup=False, soft_wrap=True),
    )
    print_results(result, out, seeds, eval_samples)


def print_results(result: StudyResult, out: Path, seeds: int, eval_samples: int) -> None:
    """The results table and verdicts on stdout, then what was written on stderr."""
    # The table goes to stdout, folded to the terminal's width; piped, it gets 200 columns.
    console = table_console()
    what = f"{count(len(result.arms), 'recipe')}, {count(seeds, 'seed')}"
    title = f"{what}, n = {eval_samples:,}: mean ± sd over seeds"
    print_table(console, title, *table_cells(result.arms))
    for verdict in verdicts(result.arms):
        console.print(f"- {verdict.text}", highlight=False, markup=False, soft_wrap=True)
    failed = len(result.outcomes.failures)
    Console(stderr=True).print(
        f"wrote {out}/report.html, report.md, results.csv, results.json"
        + (f"; {failed} run(s) failed, see the report" if failed else ""),
        highlight=False,
        soft_wrap=True,
    )
