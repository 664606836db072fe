"""``summary.json``, the one definition of what a finished (or stopped) run records about
itself: :class:`RunSummary`, its writer and its reader.

The trainer writes it last (see ``RunLayout.summary``); studies read it to tell a finished run
from a cut-short one and for their tables and provenance; the studio shows it. A summary
written by an older version lacks the keys added since (``processes`` … ``learning_rates``):
those read as None, and a None field is left out of :meth:`RunSummary.to_dict`, so such a
file reads and writes back as it was. Keys this version does not know are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ganforge.rundir.atomic import write_text
from ganforge.rundir.layout import RunLayout
from ganforge.rundir.records import decode_record, read_json


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """A run's ``summary.json``, its keys in the order they are written.

    The fields without a default were in every summary ever written; those with one were
    added later (None: a summary from before them), and ``evaluation`` is there only for a
    run that evaluated during training.
    """

    recipe: str
    dataset: str
    data_source: str  # where the training files came from
    data_fingerprint: str  # first 16 hex digits of the training set's sha256
    # The user's own data (--data): its test split (the hold-out's share, seed, sizes and
    # fingerprints, or --test-data's), so every later command uses the same; None otherwise.
    data_split: dict[str, Any] | None = None
    # --data-limit/--data-fraction: the subset of the training split trained on (its limit or
    # share, seed, size, the split's size and the images per class); None without one.
    data_subset: dict[str, Any] | None = None
    train_images: int
    params_g: int  # parameters of G
    params_d: int  # parameters of D
    steps: int  # G steps trained
    epochs: float  # steps / steps per epoch
    wall_time_s: float  # training seconds (evaluations left out), rounded to 1 ms
    images_per_s: float  # real images per second of training, rounded to 0.1
    device: str  # the training device, e.g. "cpu", "cuda:0"
    processes: int | None = None  # data-parallel processes (torchrun); 1 without
    precision: str | None = None  # "fp32" or "bf16" as resolved on the device
    compiled: bool | None = None  # G and D went through torch.compile
    # Over the run's sessions; evaluations and final outputs left out. MiB, rounded to 0.1.
    peak_memory_mib: float | None = None
    peak_memory_kind: str | None = None  # "cuda allocated" or "process RSS"
    rollbacks: int | None = None  # divergences rolled back to the last checkpoint
    # Per optimizer ("opt_g", "opt_d"), one rate per parameter group: the config's, lowered by
    # any rollback (under a decay: the peaks it scaled).
    learning_rates: dict[str, list[float]] | None = None
    final: dict[str, float]  # the last batch row (losses, D(x), ...); {} before a step
    evaluation: dict[str, Any] | None = None  # the evaluation hook's state (best_fid, ...)
    versions: dict[str, Any]  # provenance: ganforge, git commit, torch, python, machine

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``summary.json``: every field in order, a None one left out."""
        values = ((f.name, getattr(self, f.name)) for f in fields(self))
        return {name: value for name, value in values if value is not None}

    @classmethod
    def from_dict(cls, data: Any, source: str | Path = "summary.json") -> RunSummary:
        """The summary in ``data`` (a decoded ``summary.json``), its structure and types
        checked; a one-line :class:`CheckpointError` naming ``source`` and the field if not."""
        return decode_record(cls, data, source, "a run summary")


def summary_path(where: RunLayout | Path) -> Path:
    """``summary.json`` of a run's layout, or ``where`` itself given a file path."""
    return where.summary if isinstance(where, RunLayout) else Path(where)


def write_summary(where: RunLayout | Path, summary: RunSummary) -> Path:
    """Write ``summary`` to the layout's ``summary.json`` (or to the path ``where``) as
    indented JSON, atomically (see :mod:`ganforge.rundir.atomic`)."""
    return write_text(summary_path(where), json.dumps(summary.to_dict(), indent=2))


def read_summary(where: RunLayout | Path) -> RunSummary:
    """The summary in the layout's ``summary.json`` (or in the file ``where``); a one-line
    :class:`CheckpointError` if it is absent, unreadable, not JSON, or not a run summary."""
    path = summary_path(where)
    return RunSummary.from_dict(read_json(path, "run summary"), path)
