"""The bounds of a run config's numbers: seeds (:data:`SEED_MAX`, for every command too),
the batch, the evaluation's samples, a model's sizes and the training subset's, each a one-line
:class:`~ganforge.errors.ConfigError` when out of range; and the checks every recipe's model
config gets (:func:`check_generic_fields`)."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from ganforge.errors import ConfigError

# Seeds are 0..2**32-1 everywhere (train.seed, every command's --seed, the studio's): what
# NumPy's legacy seeding takes, and far inside torch's 64-bit range even with an offset added.
SEED_MAX = 2**32 - 1
BATCH_MAX = 65_536  # train.batch_size (real images per D step): more than MNIST's 60,000
EVAL_SAMPLES_MAX = 100_000  # train.eval_samples, as `ganforge evaluate --n` allows
# Sizes of a model config: the latent, an embedding, each layer's width (``*_channels``,
# ``*_hidden``), at most WIDTH_MAX (no shipped recipe or preset exceeds 1,024); at most
# LAYERS_MAX entries in a list of layers; d_steps at most D_STEPS_MAX. A whole network's
# memory is another check's: these bounds only keep each number sane.
WIDTH_MAX = 4096
LAYERS_MAX = 16
D_STEPS_MAX = 100
# Activation names a recipe's ``*activation`` field takes (``models.layers.activation``).
ACTIVATIONS = ("relu", "lrelu", "selu", "gelu", "tanh", "sigmoid", "identity")
_WIDTHS = re.compile(r"latent_dim|embedding_dim|.*_channels|.*_hidden")


def check_seed(seed: int, where: str) -> None:
    """``seed`` in 0..:data:`SEED_MAX`, else a one-line ConfigError naming ``where``."""
    if not 0 <= seed <= SEED_MAX:
        raise ConfigError(f"{where} must be an integer in 0..{SEED_MAX}, got {seed}")


def at_most(section: str, **fields: tuple[int, int]) -> None:
    """Each ``name=(value, bound)`` of ``section`` at most its bound."""
    for name, (value, bound) in fields.items():
        if value > bound:
            raise ConfigError(f"{section}.{name} must be at most {bound}, got {value}")


def check_sizes(where: str, value: Any) -> None:
    """A model config's positive integer field ``where`` (``model.NAME``): a width (the latent,
    an embedding, ``*_channels``, ``*_hidden``) at most :data:`WIDTH_MAX` each, ``d_steps`` at
    most :data:`D_STEPS_MAX`, a list of layers at most :data:`LAYERS_MAX` long."""
    name = where.removeprefix("model.")
    ints = value if isinstance(value, tuple) else (value,)
    if isinstance(value, tuple) and len(value) > LAYERS_MAX:
        raise ConfigError(f"{where} must list at most {LAYERS_MAX} layers, got {len(value)}")
    bound = D_STEPS_MAX if name == "d_steps" else WIDTH_MAX if _WIDTHS.fullmatch(name) else None
    if bound is not None and max(ints, default=0) > bound:
        each = " each" if isinstance(value, tuple) else ""
        raise ConfigError(f"{where} must be at most {bound}{each}, got {value}")


def check_own_data(data: str | None, test_data: str | None, holdout: float) -> None:
    """The user's own data's fields: ``test_data`` only beside ``data``; ``holdout`` (the
    share held out as the test split without ``test_data``) in (0, 0.5]."""
    if test_data is not None and data is None:
        raise ConfigError(
            f"test_data {test_data} is the test split of your own images; it needs data "
            "(--data) too"
        )
    if isinstance(holdout, bool) or not isinstance(holdout, float) or not 0.0 < holdout <= 0.5:
        raise ConfigError(f"holdout must be a share in (0, 0.5], got {holdout!r}")


def check_data_limit(limit: Any, fraction: Any, seed: Any) -> None:
    """The training subset's fields (``--data-limit``, ``--data-fraction``): ``data_limit`` a
    positive number of images or null, ``data_fraction`` a share in (0, 1] or null, not both;
    ``data_limit_seed`` a seed."""
    if limit is not None and (not _integer(limit) or limit < 1):
        raise ConfigError(
            f"data_limit (--data-limit) must be a positive number of images, got {limit!r}"
        )
    number = _integer(fraction) or isinstance(fraction, float)
    if fraction is not None and not (number and 0.0 < fraction <= 1.0):
        raise ConfigError(f"data_fraction (--data-fraction) must be in (0, 1], got {fraction!r}")
    if limit is not None and fraction is not None:
        raise ConfigError(
            f"--data-limit {limit} and --data-fraction {fraction:g} both given; give one (a "
            "number of training images or a share of them)"
        )
    if not _integer(seed):
        raise ConfigError(f"data_limit_seed (--data-limit-seed) must be an integer, got {seed!r}")
    check_seed(seed, "data_limit_seed (--data-limit-seed)")
    if seed and limit is None and fraction is None:
        raise ConfigError(
            f"data_limit_seed (--data-limit-seed) {seed} picks the images of --data-limit or "
            "--data-fraction; give one of them too"
        )


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_positive(section: str, **values: int) -> None:
    """Each of ``values`` at least 1, else a one-line ConfigError naming ``section.name``."""
    for name, value in values.items():
        if value < 1:
            raise ConfigError(f"{section}.{name} must be a positive integer, got {value}")


def check_generic_fields(cfg: Any) -> None:
    """Checks that hold for every recipe's config: sizes are positive integers within their
    bounds, numbers are finite, dropout rates are in [0, 1), activation names exist."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        where = f"model.{f.name}"
        ints = value if isinstance(value, tuple) else (value,)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in ints) and ints:
            if any(v < 1 for v in ints):
                raise ConfigError(f"{where} must be positive, got {value}")
            check_sizes(where, value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number, got {value}")
        if "dropout" in f.name and not 0.0 <= value < 1.0:
            raise ConfigError(f"{where} must be in [0, 1), got {value}")
        if f.name.endswith("activation") and value not in ACTIVATIONS:
            raise ConfigError(f"{where} must be one of {', '.join(ACTIVATIONS)}, got {value!r}")
