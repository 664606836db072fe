"""A study: runs of several *arms* (recipes of a comparison, rungs of an ablation), each with
the same seeds, trained one after another into ``OUT/<arm>/seed<k>/`` by the :class:`Trainer`.

Runs are independent: one that fails is recorded with its error and the others go on. A rerun
into the same OUT with reuse picks up finished runs and continues cut-short ones.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganforge.config import RunConfig, load_yaml
from ganforge.data import ImageData
from ganforge.engine.trainer import RunComplete, Trainer, TrainingInterrupted
from ganforge.errors import ConfigError, GanforgeError, WriteError
from ganforge.generation.export import export_model
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.resume import flatten
from ganforge.rundir.summary import RunSummary, read_summary
from ganforge.setup.build import as_trained

# Settings a reused run may differ in: where it trains and what it measures along the way,
# not what it trains.
NOT_DEFINING = ("train.device", "train.eval_every", "train.eval_samples")


@dataclass(frozen=True)
class StudyRun:
    """One training run of a study: its arm (folder name and shown name), seed, config, dir."""

    arm: str  # the arm's folder and key in the results: "dcgan", "2-dropout-dsteps"
    name: str  # how tables show the arm: "dcgan", "+ dropout, extra D steps"
    seed: int
    cfg: RunConfig
    dir: Path


def arms(runs: list[StudyRun]) -> list[tuple[str, str]]:
    """The study's arms as (key, name), in the order of their first run."""
    return list(dict.fromkeys((run.arm, run.name) for run in runs))


def check_existing(run: StudyRun) -> None:
    """Refuse to continue or reuse a run directory that was made with other settings (an
    earlier study into the same OUT with another budget, say): its results would be reported
    as this one's."""
    path = RunLayout(run.dir).config
    if not path.exists():
        return
    saved = flatten(as_trained(load_yaml(path)))
    now = flatten(run.cfg.to_dict())
    for key in sorted(saved.keys() | now.keys()):
        if key not in NOT_DEFINING and saved.get(key) != now.get(key):
            raise ConfigError(
                f"{run.dir} was trained with {key}={saved.get(key)!r}, this study asks "
                f"{now.get(key)!r}; use another --out or the same options as before"
            )


def check_fresh(runs: list[StudyRun], out: Path) -> None:
    """Without reuse, refuse an OUT that already holds runs of a study: they would be
    silently mixed with the new ones."""
    taken = [run.dir for run in runs if run.dir.exists() and any(run.dir.iterdir())]
    if taken:
        raise ConfigError(
            f"{out} already holds runs ({taken[0]}, ...); pass --reuse to pick them up and "
            "continue the unfinished ones, or choose another --out"
        )


def first_line(err: BaseException) -> str:
    """``Type: first line of the message``, for a table cell and a one-line report."""
    text = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def finished(run: StudyRun) -> bool:
    """Whether the run has trained its whole budget and written its final outputs: its
    summary is at its plan's last step or past its time limit. (Ctrl-C writes a summary
    too, at the step it stopped at: such a run is not finished.)"""
    try:
        summary = read_summary(RunLayout(run.dir))
    except GanforgeError:  # none yet, unreadable, or not a summary
        return False
    train = run.cfg.train
    if train.time_limit and summary.wall_time_s >= train.time_limit:
        return True
    # ``epochs`` is steps / steps per epoch: at the last step of E epochs exactly E.
    if train.steps is not None:
        return summary.steps >= train.steps
    return summary.epochs >= train.epochs


def train_run(
    run: StudyRun, data: ImageData, data_dir: Path | None, display: bool | None = None
) -> tuple[RunSummary, bool]:
    """Train ``run`` unless it finished (see :func:`finished`); continue it from its last
    checkpoint if it was cut short. Returns (its summary, whether it was skipped)."""
    layout = RunLayout(run.dir)
    check_existing(run)
    skipped = finished(run)
    if not skipped:
        resume = layout.last_checkpoint.exists()
        try:
            Trainer(run.cfg, run.dir, data, data_dir, resume=resume, display=display).run(
                exporter=export_model
            )
        except RunComplete:  # finished after all (its summary rounds its time down)
            skipped = True
        except TrainingInterrupted as stop:
            raise TrainingInterrupted(
                f"{stop}; or rerun the same command (with --reuse where it has one) to "
                "continue every run"
            ) from None
        except WriteError as err:
            raise continue_study(err) from err
    return read_summary(layout), skipped


def continue_study(err: WriteError) -> WriteError:
    """``err`` (a full disk, an unwritable folder), which stops the whole study (the runs
    after would fail alike), with how to continue it."""
    return err.advise(
        f"{err.remedy()}, then run the same command again (with --reuse where it has one) to "
        "continue the study: finished runs are kept, cut-short ones resume"
    )


@dataclass
class Outcomes:
    """What became of a study's runs, by run directory: the summaries of the finished ones,
    their metrics once evaluated, the one-line errors of the failed ones (in training or in
    evaluation) and those failures' tracebacks, for their log."""

    summaries: dict[Path, RunSummary] = field(default_factory=dict)
    metrics: dict[Path, dict[str, Any]] = field(default_factory=dict)
    failures: dict[Path, str] = field(default_factory=dict)
    tracebacks: dict[Path, str] = field(default_factory=dict)

    def fail(self, run: StudyRun, err: Exception, say: Callable[[str], None]) -> None:
        """Record that ``run`` failed with ``err`` (while handling it)."""
        self.failures[run.dir] = first_line(err)
        self.tracebacks[run.dir] = traceback.format_exc()
        say(f"  {run.name} seed {run.seed} failed: {first_line(err)}")


def train_all(
    runs: list[StudyRun],
    data: ImageData,
    data_dir: Path | None,
    say: Callable[[str], None] = lambda _: None,
    display: bool | None = None,
    arm_word: str = "arm",
) -> Outcomes:
    """Train every run in order (finished ones skipped). A run that fails is recorded and the
    next one starts; an interruption (Ctrl-C) stops the study."""
    for run in runs:  # all before any training: a mismatch found late would waste the runs
        check_existing(run)
    progress = StudyProgress(runs, arm_word)
    outcomes = Outcomes()
    for run in runs:
        done = finished(run)
        say(progress.line(run, done))
        started = time.perf_counter()
        try:
            outcomes.summaries[run.dir], _ = train_run(run, data, data_dir, display)
        except (TrainingInterrupted, WriteError):  # the runs after would fail too
            raise
        except Exception as err:  # any failure of one run: the others go on
            outcomes.fail(run, err, say)
        trained = not done and run.dir in outcomes.summaries
        progress.ran(run, time.perf_counter() - started if trained else None)
    return outcomes


class StudyProgress:
    """The study-wide progress line: run k of n, arm j of m, and the time left, estimated
    from the runs trained so far in this session (before the first, from the time limit)."""

    def __init__(self, runs: list[StudyRun], arm_word: str) -> None:
        self.runs = runs
        self.arm_word = arm_word
        self.keys = [key for key, _ in arms(runs)]
        self.times: list[float] = []
        self.left = {run.dir for run in runs if not finished(run)}

    def ran(self, run: StudyRun, seconds: float | None) -> None:
        """Record that ``run`` is over: trained in ``seconds``, or (None) failed or skipped."""
        self.left.discard(run.dir)
        if seconds is not None:
            self.times.append(seconds)

    def eta_s(self) -> float | None:
        """Seconds the runs still to train will take; None when nothing tells yet."""
        if not self.left:
            return 0.0
        if self.times:
            return sum(self.times) / len(self.times) * len(self.left)
        limit = self.runs[0].cfg.train.time_limit
        return limit * len(self.left) if limit else None

    def line(self, run: StudyRun, done: bool) -> str:
        """``[4/18] dcgan seed 0 (recipe 2 of 6) → DIR · training ETA 14 min``."""
        i = self.runs.index(run) + 1
        j = self.keys.index(run.arm) + 1
        what = (
            f"[{i}/{len(self.runs)}] {run.name} seed {run.seed} "
            f"({self.arm_word} {j} of {len(self.keys)})"
        )
        if done:
            return f"{what}: finished before, skipped"
        eta = self.eta_s()
        left = "known after the first run" if eta is None else format_duration(eta)
        return f"{what} → {run.dir} · training ETA {left}"


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 05 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
