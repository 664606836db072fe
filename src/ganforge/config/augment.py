"""The augmentation of every image D sees (``model.augment``, docs/augment.md): the modes, the
operations a policy names, each mode's default policy, and the checks of the ``augment*`` and
``ada_*`` fields that every recipe's model config has.

``none`` shows D the images as they are. ``diffaugment`` (Zhao et al. 2020) applies every
operation of the policy to every image, real and fake, in D's and G's steps alike.
``ada`` (Karras et al. 2020) applies each operation to each image with a probability p that a
controller moves towards ``ada_target`` from D's sign on real images. Each operation's
strength is its own field, ``augment_<op>``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ganforge.errors import ConfigError

AUGMENT_MODES = ("none", "diffaugment", "ada")
# Every operation, in the order the pipe applies them whatever order a policy lists them in:
# geometry, then colour, then the cut-out square (as ADA's pipeline orders its groups). No
# flips: a mirrored 3 is no digit.
AUGMENT_OPS = ("translation", "scale", "rotation", "brightness", "contrast", "cutout")
# DiffAugment's own policy is "color,translation,cutout"; on one channel its colour is
# brightness and contrast (saturation has nothing to act on). ADA's is its "bgc" pipeline
# without the flips and the colour operations a gray image has no use for.
DEFAULT_POLICIES: dict[str, tuple[str, ...]] = {
    "diffaugment": ("translation", "brightness", "contrast", "cutout"),
    "ada": AUGMENT_OPS,
}
# The largest strength each operation takes: a shift or a cut-out of at most the half or
# whole side, a contrast factor that stays positive, a zoom of at most 2**±2, half a turn.
STRENGTH_MAX = {
    "translation": 0.5,
    "scale": 2.0,
    "rotation": 180.0,
    "brightness": 1.0,
    "contrast": 0.99,
    "cutout": 1.0,
}


def canonical_ops(value: Any) -> Any:
    """``"translation, cutout"`` or a list as a tuple of names (anything else as it is, for
    :func:`check_augment` to refuse)."""
    if isinstance(value, str):
        return tuple(name.strip() for name in value.split(",") if name.strip())
    return tuple(value) if isinstance(value, list) else value


def augment_policy(cfg: Any) -> tuple[str, ...]:
    """The operations ``cfg`` augments with, in the order they are applied: its
    ``augment_ops`` or its mode's default policy; none when ``augment`` is "none"."""
    if cfg.augment == "none":
        return ()
    chosen = cfg.augment_ops or DEFAULT_POLICIES[cfg.augment]
    return tuple(op for op in AUGMENT_OPS if op in chosen)


def check_augment(cfg: Any) -> None:
    """The augmentation fields of a model config, each a one-line ConfigError when wrong."""
    if cfg.augment not in AUGMENT_MODES:
        listed = ", ".join(repr(m) for m in AUGMENT_MODES)
        raise ConfigError(f"model.augment must be one of {listed}, got {cfg.augment!r}")
    ops = cfg.augment_ops
    if not isinstance(ops, tuple) or not all(isinstance(op, str) for op in ops):
        raise ConfigError(f"model.augment_ops must be a list of operation names, got {ops!r}")
    for op in ops:
        if op not in AUGMENT_OPS:
            raise ConfigError(
                f"model.augment_ops: unknown operation {op!r}; expected some of "
                f"{', '.join(AUGMENT_OPS)}"
            )
    for op, top in STRENGTH_MAX.items():
        value = getattr(cfg, f"augment_{op}")
        if not 0.0 <= value <= top:
            raise ConfigError(f"model.augment_{op} must be in [0, {top:g}], got {value}")
    if not 0.0 < cfg.ada_target < 1.0:
        raise ConfigError(f"model.ada_target must be in (0, 1), got {cfg.ada_target}")


def saved_without_augment(cls: type) -> type:
    """Decorates the model config: runs saved before the augmentation fields existed trained
    without augmentation, so each of those fields reads there as its default (``augment``:
    "none"), added to the class's ``saved_before``."""
    added = {
        f.name: f.default
        for f in dataclasses.fields(cls)
        if f.name == "augment" or f.name.startswith(("augment_", "ada_"))
    }
    cls.saved_before = {**vars(cls).get("saved_before", {}), **added}  # type: ignore[attr-defined]
    return cls
