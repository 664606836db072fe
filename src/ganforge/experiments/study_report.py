"""The parts of a study's report taken from its runs: pictures of each arm's first finished
run, the charts of all runs, provenance and the commands that redo a run (the report itself:
:mod:`ganforge.reporting.report`)."""

from __future__ import annotations

import datetime as _dt
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ganforge.config.schema import SUBSET_KEYS
from ganforge.data import SUBSET_SEED, DataSource
from ganforge.experiments.fid_curve import curve_path
from ganforge.experiments.study import Outcomes, StudyRun
from ganforge.experiments.study_results import EVAL_SEED, fid_label, final_grid
from ganforge.models import get_recipe
from ganforge.reporting.report import Picture
from ganforge.reporting.study_plots import plot_fid_curves, plot_loss_panels
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.provenance import provenance
from ganforge.setup.data import source_config


def first_finished(runs: Sequence[StudyRun], outcomes: Outcomes) -> dict[str, StudyRun]:
    """Each arm's first run that finished, by arm key (arms with none are left out)."""
    chosen: dict[str, StudyRun] = {}
    for run in runs:
        if run.dir in outcomes.summaries and run.arm not in chosen:
            chosen[run.arm] = run
    return chosen


def pictures(
    runs: Sequence[StudyRun], outcomes: Outcomes, arms: Sequence[dict[str, Any]]
) -> tuple[list[Picture], list[Picture]]:
    """Each arm's final grid (a conditional recipe's rows are its classes) and training GIF,
    from its first finished run."""
    chosen = first_finished(runs, outcomes)
    grids, gifs = [], []
    for arm in arms:
        run = chosen.get(arm["arm"])
        if run is None:
            continue
        by_class = ", one row per class" if get_recipe(run.cfg.recipe).conditional else ""
        try:
            grid = final_grid(run.dir)
        except FileNotFoundError:
            grid = None
        if grid is not None:
            caption = f"{arm['name']} (seed {run.seed}{by_class}): {fid_label(arm)}"
            grids.append(Picture(grid, caption))
        gif = RunLayout(run.dir).gif
        if gif.exists():
            gifs.append(Picture(gif, f"{arm['name']} (seed {run.seed})"))
    return grids, gifs


def charts(
    runs: Sequence[StudyRun], outcomes: Outcomes, arms: Sequence[dict[str, Any]], folder: Path
) -> list[Picture]:
    """FID curves of every finished run (measured from its checkpoints, or else its own
    evaluations during training), and the losses of each arm's first finished run."""
    names = {arm["arm"]: arm["name"] for arm in arms}
    curves: dict[str, list[Path]] = {name: [] for name in names.values()}
    for run in runs:
        if run.dir in outcomes.summaries:
            curves[names[run.arm]].append(run_curve(run.dir))
    out = []
    fid = plot_fid_curves(curves, folder / "fid_curves.png")
    if fid is not None:
        caption = "FID during training (every seed; how measured: see the provenance)"
        out.append(Picture(fid, caption))
    chosen = {names[k]: run.dir for k, run in first_finished(runs, outcomes).items()}
    losses = plot_loss_panels(chosen, folder / "losses.png")
    if losses is not None:
        out.append(Picture(losses, "Losses per batch and per epoch (each arm's first seed)"))
    return out


def run_curve(run_dir: Path) -> Path:
    """The run's FID curve: measured from its checkpoints (``--curve-samples``) or, without
    one, its evaluations during training (``train.eval_every``); both have epoch, time, fid."""
    path = curve_path(run_dir)
    return path if path.exists() else RunLayout(run_dir).eval_csv


def _distinct(values: Iterable[Any]) -> str:
    """The different values, in order of first appearance (``—`` when there is none)."""
    kept = [str(v) for v in dict.fromkeys(values) if v is not None]
    return ", ".join(kept) if kept else "—"


# The provenance's "FID curves" without --curve-samples: each run's own evaluations, if any.
DURING_TRAINING = "off; each run's own evaluations during training, if it made any"


def provenance_rows(
    runs: Sequence[StudyRun], outcomes: Outcomes, n: int, curve_samples: int
) -> list[tuple[str, str]]:
    """What produced the numbers: versions, commits, machine, data, evaluator, protocol
    (several values where the runs differ, e.g. ones reused from an older commit)."""
    summaries = [outcomes.summaries[r.dir] for r in runs if r.dir in outcomes.summaries]
    metrics = [outcomes.metrics[r.dir] for r in runs if r.dir in outcomes.metrics]
    versions = [s.versions for s in summaries]
    evaluators = [m.get("evaluator") or {} for m in metrics]
    now = provenance()
    curves = f"FID of n = {curve_samples:,} samples of each epoch's checkpoint and the last"
    return [
        ("report written", _dt.datetime.now().isoformat(timespec="seconds")),
        ("ganforge (report)", f"{now['ganforge']} at commit {now['git_commit'] or 'unknown'}"),
        ("runs trained at commit", _distinct(v.get("git_commit") for v in versions)),
        *((key, _distinct(v.get(key) for v in versions)) for key in ("torch", "python")),
        ("platform", _distinct(v.get("platform") for v in versions)),
        ("CPU threads", _distinct(v.get("cpu_threads") for v in versions)),
        ("training device", _distinct(s.device for s in summaries)),
        ("peak memory measures", _distinct(s.peak_memory_kind for s in summaries)),
        ("training data", _distinct(s.data_source for s in summaries)),
        ("training data fingerprint", _distinct(s.data_fingerprint for s in summaries)),
        ("training images", _distinct(s.train_images for s in summaries)),
        ("evaluation protocol", _distinct(m.get("protocol") for m in metrics)),
        ("evaluator weights hash", _distinct(e.get("weights_hash") for e in evaluators)),
        ("evaluator test accuracy", _distinct(e.get("test_accuracy") for e in evaluators)),
        ("evaluator data fingerprint", _distinct(e.get("data_fingerprint") for e in evaluators)),
        ("final evaluation", f"n = {n:,} samples from latent seed {EVAL_SEED}, vs the test split"),
        ("FID curves", curves if curve_samples else DURING_TRAINING),
    ]


def source_options(dataset: str | DataSource) -> list[str]:
    """The command-line options that name ``dataset``: ``--dataset=NAME`` for a known one;
    ``--data=PATH`` (absolute) and its ``--test-data=PATH`` or ``--holdout=SHARE`` for the
    user's own; then ``--data-limit=N`` or ``--data-fraction=F`` (and ``--data-limit-seed=S``
    if not the default) for a subset of the training split."""
    source = DataSource.of(dataset)
    keys = source_config(source)
    limit = [f"--{k.replace('_', '-')}={keys[k]}" for k in SUBSET_KEYS if k in keys]
    limit = [option for option in limit if option != f"--data-limit-seed={SUBSET_SEED}"]
    if not source.custom:
        return [f"--dataset={source.dataset}", *limit]
    given = f"--test-data={keys['test_data']}" if "test_data" in keys else None
    return [f"--data={keys['data']}", given or f"--holdout={source.holdout:g}", *limit]


def run_commands(runs: Sequence[StudyRun], data_dir: Path | None, n: int) -> list[str]:
    """How to redo one run alone, and score it, as the study did (its first run's)."""
    if not runs:
        return []
    run = runs[0]
    data = ["--data-dir", str(data_dir)] if data_dir is not None else []
    config = RunLayout(run.dir).config
    train = ["ganforge", "train", "--config", str(config), "--out", "runs/again", *data]
    score = ["ganforge", "evaluate", "runs/again", "--n", str(n), *data]
    return [
        f"# one run alone ({run.name} seed {run.seed}), then its score:",
        shlex.join(train),
        shlex.join(score),
    ]
