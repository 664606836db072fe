"""The names ``train.log_to`` takes: the experiment trackers a run can write to besides its
own CSV logs (:mod:`ganforge.rundir.trackers` writes to them), and the pip extra each needs."""

from __future__ import annotations

from ganforge.errors import ConfigError

# Tracker name → (the module it needs, the ganforge extra that installs it).
TRACKERS = {
    "tensorboard": ("tensorboard", "tensorboard"),
    "mlflow": ("mlflow", "mlflow"),
    "wandb": ("wandb", "wandb"),
}


def canonical_trackers(value: tuple[str, ...] | str, tensorboard: bool) -> tuple[str, ...]:
    """``"mlflow, wandb"`` or a list as a tuple of lower-case names, each once, with
    ``"tensorboard"`` added where ``train.tensorboard`` is on; an unknown name is refused."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(item).strip().lower() for item in items]
    names += ["tensorboard"] if tensorboard else []
    out = tuple(dict.fromkeys(name for name in names if name))
    check_trackers(out)
    return out


def check_trackers(names: tuple[str, ...] | str) -> None:
    """A one-line :class:`ConfigError` for a name that is no tracker."""
    for name in names:
        if name not in TRACKERS:
            raise ConfigError(
                f"train.log_to: unknown tracker {name!r}; known: {', '.join(TRACKERS)}"
            )
