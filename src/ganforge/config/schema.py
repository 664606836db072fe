"""Typed run configuration: dataclasses filled in from defaults, a YAML diff, and CLI flags.

A run is described by :class:`RunConfig`: the recipe's name, the dataset, the recipe's own
typed model config (a dataclass registered with the recipe) and the :class:`TrainConfig`
schedule. A YAML file is a small diff over the defaults::

    recipe: dcgan
    model:
      latent_dim: 64
    train:
      epochs: 10

Every key and value is checked before any work starts: unknown keys get a "did you mean",
wrong types and impossible values a one-line :class:`~ganforge.errors.ConfigError`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ganforge.config.augment import canonical_ops, check_augment, saved_without_augment
from ganforge.config.bounds import (
    BATCH_MAX,
    EVAL_SAMPLES_MAX,
    at_most,
    check_generic_fields,
    check_own_data,
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

# What a config records; short names (``fashion``) are data.DATASET_ALIASES, resolved first.
DATASET_NAMES = ("mnist", "fashion-mnist", "kmnist", "emnist-letters", "emnist-balanced")
CUSTOM_DATASET = "custom"  # the dataset of a run on the user's own images (``data``: their path)
_OWN_DATA = ("test_data", "holdout")  # keys of the user's own data beside ``data``
DATA_RANGES = ("-1,1", "0,1")
# train.sampling, what an epoch is. "shuffle": one pass in a new random order; "replacement":
# ``epoch_steps`` random batches; "class": the same, each of one class (AC-GAN loops' way).
SAMPLINGS = ("shuffle", "replacement", "class")
OPTIMIZERS = ("adam", "sgd", "yogi")  # model.optimizer_g / optimizer_d
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


@saved_without_augment
@dataclass
class ModelConfig:
    """Fields every recipe has; each recipe subclasses this with its own architecture knobs."""

    latent_dim: int = 100
    latent_distribution: str = "normal"  # "normal" N(0,1) or "uniform" U(-1,1)
    data_range: str = "-1,1"  # "-1,1" for tanh outputs, "0,1" for sigmoid outputs
    resolution: int = 28  # 28 as stored, 32 zero-padded, 64 resized
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    d_steps: int = 1  # D steps (each on its own real batch) per G step
    d_steps_same_batch: bool = False  # all d_steps on one real batch (fresh fakes each), as
    # Keras loops that train D k times per batch do: an epoch is then one pass in n/B steps
    joint_batch: bool = False  # D sees [fake; real] in one forward, as Keras loops train it
    frozen_d_batch_norm: bool = False  # in the G step D's batch norm uses running statistics,
    # as Keras' frozen (trainable = False) batch norm does
    ema_decay: float = 0.0  # samples come from an EMA of G's weights with this decay (0: off)
    optimizer_g: str = "adam"  # "adam", "sgd" or "yogi"
    optimizer_d: str = "adam"
    beta1_g: float | None = None  # G's β1 where it differs from D's (``beta1``)
    eps: float | None = None  # Adam/Yogi epsilon; null: the optimizer's default
    classic_quirks: bool = False  # bring back the classic code's documented bugs (presets)
    # Differentiable augmentation of every image D sees (config/augment.py, docs/augment.md).
    augment: str = "none"  # "none", "diffaugment" or "ada"
    augment_ops: tuple[str, ...] | str = ()  # e.g. "translation,cutout"; (): the mode's own
    augment_translation: float = 0.125  # the largest shift, a fraction of the side
    augment_cutout: float = 0.5  # the cut square's side, a fraction of the image's
    augment_brightness: float = 0.25  # the largest offset, a fraction of the data range
    augment_contrast: float = 0.5  # the factor about the image's mean, in [1 - c, 1 + c]
    augment_scale: float = 0.2  # the zoom, 2**U(-s, s)
    augment_rotation: float = 15.0  # the largest angle, in degrees
    ada_target: float = 0.6  # ADA's target for r_t = E[sign(D(real))]
    ada_speed: int = 100_000  # real images shown to D for ADA's p to go from 0 to 1
    ada_interval: int = 4  # steps between ADA's adjustments of p
    # The bugs ``classic_quirks`` brings back; a config class with none refuses the switch.
    quirks: ClassVar[tuple[str, ...]] = ()
    # Fields added after runs were saved with this config, and the value that a saved config
    # without them meant, so that an old run's checkpoint still loads and resumes as trained.
    # Each class lists its own; a recipe's config gets those of every class it extends too
    # (``training.setup.fields_added_since``).
    saved_before: ClassVar[dict[str, Any]] = {}

    def __post_init__(self) -> None:
        """``augment_ops`` "a,b" or a list as a tuple of names."""
        self.augment_ops = canonical_ops(self.augment_ops)

    @property
    def batches_per_step(self) -> int:
        """Real batches one step consumes: one per D update, or one for all of them."""
        return 1 if self.d_steps_same_batch else self.d_steps

    def quirk(self, name: str) -> bool:
        """Whether the classic bug ``name`` is reproduced in this run."""
        return self.classic_quirks and name in self.quirks

    def validate(self) -> None:
        check_generic_fields(self)
        check_augment(self)
        if self.lr_g <= 0 or self.lr_d <= 0:
            raise ConfigError(f"learning rates must be > 0, got lr_g={self.lr_g}, lr_d={self.lr_d}")
        for name in ("beta1", "beta2", "ema_decay", "beta1_g"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value < 1.0:
                raise ConfigError(f"model.{name} must be in [0, 1), got {value}")
        for name in ("optimizer_g", "optimizer_d"):
            if getattr(self, name) not in OPTIMIZERS:
                raise ConfigError(
                    f"model.{name} must be one of {', '.join(OPTIMIZERS)}, "
                    f"got {getattr(self, name)!r}"
                )
        if self.eps is not None and self.eps <= 0:
            raise ConfigError(f"model.eps must be > 0 or null, got {self.eps}")
        if self.classic_quirks and not self.quirks:
            raise ConfigError(
                "model.classic_quirks: this recipe reproduces no classic bug; leave it false"
            )
        if self.latent_distribution not in ("normal", "uniform"):
            raise ConfigError(
                "model.latent_distribution must be 'normal' or 'uniform', "
                f"got {self.latent_distribution!r}"
            )
        if self.data_range not in DATA_RANGES:
            raise ConfigError(
                f"model.data_range must be one of {DATA_RANGES}, got {self.data_range!r}"
            )
        if self.resolution not in (28, 32, 64):
            raise ConfigError(f"model.resolution must be 28, 32 or 64, got {self.resolution}")


@dataclass
class RunConfig:
    """Everything that defines a run; saved as ``config.yaml`` in the run directory."""

    recipe: str
    dataset: str = "mnist"
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: str | None = None  # the user's own images (train --data): a folder, .npz or .npy
    test_data: str | None = None  # their test split (--test-data); else a hold-out of data
    holdout: float = 0.1  # the share of data held out as its test split without test_data

    def validate(self) -> None:
        if self.dataset not in DATASET_NAMES and not (self.data and self.dataset == CUSTOM_DATASET):
            *first, last = map(repr, DATASET_NAMES)
            names = f"{', '.join(first)} or {last}"
            raise ConfigError(f"dataset must be {names}, got {self.dataset!r}")
        check_own_data(self.data, self.test_data, self.holdout)
        self.model.validate()
        self.train.validate()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``config.yaml``); ``test_data`` and ``holdout`` only beside ``data``."""
        out = dataclasses.asdict(self)
        return out if self.data else {k: v for k, v in out.items() if k not in _OWN_DATA}
