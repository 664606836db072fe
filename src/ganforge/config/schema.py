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
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ganforge.config.augment import canonical_ops, check_augment, saved_without_augment
from ganforge.config.bounds import check_data_limit, check_generic_fields, check_own_data
from ganforge.config.train import TrainConfig
from ganforge.errors import ConfigError

# What a config records; short names (``fashion``) are data.DATASET_ALIASES, resolved first.
DATASET_NAMES = ("mnist", "fashion-mnist", "kmnist", "emnist-letters", "emnist-balanced")
CUSTOM_DATASET = "custom"  # the dataset of a run on the user's own images (``data``: their path)
_OWN_DATA = ("test_data", "holdout")  # keys of the user's own data beside ``data``
SUBSET_KEYS = ("data_limit", "data_fraction", "data_limit_seed")  # the training subset's
DATA_RANGES = ("-1,1", "0,1")
OPTIMIZERS = ("adam", "sgd", "yogi")  # model.optimizer_g / optimizer_d


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
    # Train on a seeded, class-balanced subset of the training split: data_limit images or
    # the data_fraction of them (one of the two), picked by data_limit_seed (not train.seed).
    data_limit: int | None = None
    data_fraction: float | None = None
    data_limit_seed: int = 0

    def validate(self) -> None:
        if self.dataset not in DATASET_NAMES and not (self.data and self.dataset == CUSTOM_DATASET):
            *first, last = map(repr, DATASET_NAMES)
            names = f"{', '.join(first)} or {last}"
            raise ConfigError(f"dataset must be {names}, got {self.dataset!r}")
        check_own_data(self.data, self.test_data, self.holdout)
        check_data_limit(self.data_limit, self.data_fraction, self.data_limit_seed)
        self.model.validate()
        self.train.validate()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``config.yaml``); ``test_data`` and ``holdout`` only beside ``data``,
        the subset's keys only with ``data_limit`` or ``data_fraction``."""
        out = dataclasses.asdict(self)
        subset = self.data_limit is not None or self.data_fraction is not None
        left_out = (() if self.data else _OWN_DATA) + (() if subset else SUBSET_KEYS)
        return {k: v for k, v in out.items() if k not in left_out}
