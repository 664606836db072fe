"""The schedule of a run, :class:`TrainConfig` (the ``train:`` section of a run config): how
long, in what batches, and what it writes when, with the names its fields take."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ganforge.config.bounds import (
    BATCH_MAX,
    EVAL_SAMPLES_MAX,
    at_most,
    check_positive,
    check_seed,
)
from ganforge.config.every import (
    EVERY_FIELDS,
    Every,
    canonical_every,
    canonical_grid,
    parse_every,
    parse_grid,
)
from ganforge.config.layouts import GRID_LAYOUTS
from ganforge.config.trackers import canonical_trackers
from ganforge.errors import ConfigError

# train.sampling, what an epoch is. "shuffle": one pass in a new random order; "replacement":
# ``epoch_steps`` random batches; "class": the same, each of one class (AC-GAN loops' way).
SAMPLINGS = ("shuffle", "replacement", "class")
ON_DIVERGE = ("stop", "rollback")  # train.on_diverge; the CLI offers the same choices
# train.precision: "fp32", "bf16" (autocast of the D and G steps), or "auto": bf16 where the
# device computes it natively (a CUDA GPU with bf16, a CPU with AVX-512 BF16 or AMX), else fp32.
PRECISIONS = ("fp32", "bf16", "auto")
# train.dist_backend under torchrun: "auto" is NCCL on CUDA devices and gloo on CPUs.
DIST_BACKENDS = ("auto", "gloo", "nccl")


@dataclass
class TrainConfig:
    """The schedule of a run: how long, in what batches, and what it writes when."""

    epochs: int = 5
    steps: int | None = None  # stop after this many steps (G updates) in total, if set
    time_limit: float = 0.0  # stop once this many training seconds have passed (0: no limit)
    # Both learning rates fall linearly to 0 from this fraction of the run (of its steps, or
    # of time_limit where nearer its end) to its end; 1: constant (training/lr_decay.py).
    lr_decay_from: float = 1.0
    batch_size: int = 64
    seed: int = 0
    # The three intervals count epochs (2) or, with a suffix, steps ("500steps"): see every.py.
    sample_every: int | str = 1  # between sample grids and plot redraws (0: only sample_at)
    sample_at: tuple[int, ...] = ()  # epochs that get a grid too, e.g. (5, 25, 50, 75, 100)
    sample_grid: str = "8x8"  # rows × columns of the grids (conditional: a row per class)
    grid_layout: str = "8x8"  # the final figure in samples/ (see config/layouts.py)
    checkpoint_every: int | str = 1  # between numbered checkpoints (the last one always kept)
    log_every: int = 20  # steps between reads of the device-side statistics and log lines
    tensorboard: bool = False  # the same as "tensorboard" in log_to
    log_to: tuple[str, ...] | str = ()  # trackers: a list or "a,b" (see config/trackers.py)
    eval_every: int | str = 0  # between evaluations during training (0: off)
    eval_samples: int = 2000  # samples per evaluation during training
    device: str = "auto"
    on_diverge: str = "stop"  # on a NaN/inf loss: "stop", or "rollback" to the last checkpoint
    d_wins_intervals: int = 5  # warn when D wins outright for this many log intervals in a row
    sampling: str = "shuffle"  # "shuffle", "replacement" or "class" (see SAMPLINGS)
    epoch_steps: int = 0  # steps per epoch with replacement/class sampling (0: one pass's worth)
    precision: str = "fp32"  # see PRECISIONS
    compile: bool = False  # torch.compile G and D (measured slower on a 2-core CPU: opt-in)
    # Under torchrun (see ganforge.engine.distributed); a single process ignores them.
    sync_bn: bool = False  # batch norm statistics over all processes' batches (SyncBatchNorm)
    dist_backend: str = "auto"  # see DIST_BACKENDS
    dist_timeout: float = 300.0  # seconds a collective waits for the other processes

    def __post_init__(self) -> None:
        """The canonical forms: ``"2"`` is 2 epochs, ``"500 step"`` is ``"500steps"``."""
        for name in EVERY_FIELDS:
            setattr(self, name, canonical_every(getattr(self, name)))
        self.sample_grid = canonical_grid(self.sample_grid)  # type: ignore[assignment]
        self.log_to = canonical_trackers(self.log_to, self.tensorboard)

    def every(self, name: str) -> Every:
        """The interval ``name`` (one of ``EVERY_FIELDS``) means."""
        return parse_every(getattr(self, name), f"train.{name}")

    def validate(self) -> None:
        names = ("epochs", "batch_size", "log_every", "d_wins_intervals")
        check_positive("train", **{name: getattr(self, name) for name in names})
        check_seed(self.seed, "train.seed")
        at_most("train", batch_size=(self.batch_size, BATCH_MAX))
        at_most("train", eval_samples=(self.eval_samples, EVAL_SAMPLES_MAX))
        self._validate_outputs()
        if self.every("checkpoint_every").count < 1:
            raise ConfigError(
                "train.checkpoint_every must be a positive number of epochs or steps, got "
                f"{self.checkpoint_every!r}"
            )
        self.every("eval_every")
        if self.eval_samples < 100:
            raise ConfigError(f"train.eval_samples must be >= 100, got {self.eval_samples}")
        if not (math.isfinite(self.time_limit) and self.time_limit >= 0):
            raise ConfigError(
                f"train.time_limit must be a number of seconds >= 0 (0: none), got "
                f"{self.time_limit}"
            )
        if not (0.0 <= self.lr_decay_from <= 1.0):
            raise ConfigError(
                "train.lr_decay_from must be a fraction of the run from 0 to 1 (1: no decay), "
                f"got {self.lr_decay_from}"
            )
        if self.steps is not None and self.steps < 1:
            raise ConfigError(f"train.steps must be a positive integer or null, got {self.steps}")
        if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", self.device):
            raise ConfigError(
                f"train.device must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {self.device!r}"
            )
        if self.epoch_steps < 0 or (self.epoch_steps and self.sampling == "shuffle"):
            raise ConfigError(
                "train.epoch_steps must be >= 0, and is for sampling 'replacement' or 'class' "
                f"(a shuffled epoch is one pass), got {self.epoch_steps} with {self.sampling!r}"
            )
        for name, choices in (
            ("sampling", SAMPLINGS),
            ("precision", PRECISIONS),
            ("on_diverge", ON_DIVERGE),
            ("dist_backend", DIST_BACKENDS),
        ):
            if (value := getattr(self, name)) not in choices:
                listed = ", ".join(repr(c) for c in choices)
                raise ConfigError(f"train.{name} must be one of {listed}, got {value!r}")
        if not (math.isfinite(self.dist_timeout) and self.dist_timeout > 0):
            raise ConfigError(
                f"train.dist_timeout must be a number of seconds > 0, got {self.dist_timeout}"
            )

    def _validate_outputs(self) -> None:
        """The grid schedule, the grids' size and the final figure's layout."""
        self.every("sample_every")
        parse_grid(self.sample_grid)
        if any(epoch < 1 for epoch in self.sample_at):
            raise ConfigError(
                f"train.sample_at must be a list of positive epochs, got {list(self.sample_at)}"
            )
        if self.grid_layout not in GRID_LAYOUTS:
            raise ConfigError(
                f"train.grid_layout must be one of {', '.join(GRID_LAYOUTS)}, "
                f"got {self.grid_layout!r}"
            )

    def grid_at(self, epoch: int) -> bool:
        """Whether the end of ``epoch`` gets a sample grid by an epoch schedule (the trainer
        adds the last epoch, which always gets one, and the steps of a step interval)."""
        every = self.every("sample_every")
        return (every.unit == "epoch" and every.due(epoch, 1)) or epoch in self.sample_at
