"""Which checkpoint a run starts from: none for a new run, the last one for ``--resume``, and
only if the settings that define the run are unchanged."""

from __future__ import annotations

from typing import Any

from ganforge.config import RunConfig
from ganforge.errors import ConfigError, GanforgeError
from ganforge.rundir.checkpoint import Checkpoint, load_checkpoint
from ganforge.rundir.layout import RunLayout
from ganforge.setup.build import as_trained

# Settings a resumed run may change; any other difference would change what the saved step
# means (batch size, d_steps, data order) or what the weights are (the model config).
RESUMABLE = (
    "epochs",
    "steps",
    "time_limit",
    "lr_decay_from",  # like epochs, it changes the schedule ahead, not the steps saved
    "device",
    "precision",
    "compile",
    "sample_every",
    "sample_at",
    "sample_grid",  # a resumed run's grids may change size: the GIF centres every frame
    "grid_layout",
    "checkpoint_every",
    "log_every",
    "tensorboard",
    "log_to",
    "eval_every",
    "eval_samples",
    "on_diverge",
    "d_wins_intervals",
    # How the processes under torchrun talk, not what they train (the world size is not in
    # the config at all: a run resumes on any number of processes).
    "sync_bn",
    "dist_backend",
    "dist_timeout",
)


class RunComplete(GanforgeError):
    """``--resume`` on a run that has already trained as long as asked: nothing to do."""


def check_not_complete(
    layout: RunLayout,
    ckpt: Checkpoint | None,
    total_steps: int,
    steps_per_epoch: int,
    time_limit: float,
) -> None:
    """Refuse to resume a finished run (all its steps, or its time limit, trained), unless
    a kill cut its final outputs short: then the trainer trains nothing and only writes
    them."""
    if ckpt is None or layout.summary_step() < ckpt.step:  # the summary comes last
        return
    limit = time_limit
    if ckpt.step < total_steps and limit and (ckpt.meta.get("elapsed") or 0.0) >= limit:
        raise RunComplete(
            f"{layout.root} has trained its time limit of {limit:g} s; pass a larger "
            "--time-limit (or 0 for none) to train on"
        )
    if ckpt.step >= total_steps:
        raise RunComplete(
            f"{layout.root} is already at step {ckpt.step} "
            f"({ckpt.step / steps_per_epoch:g} epochs); pass a larger --epochs or "
            "--steps to train on"
        )


def check_new_run(layout: RunLayout) -> None:
    """Refuse to start a new run over one that has a checkpoint."""
    if layout.last_checkpoint.exists():
        raise GanforgeError(
            f"{layout.root} already holds a run; pass --resume to continue it "
            "or choose another --out"
        )


def checkpoint_to_resume(layout: RunLayout, cfg: RunConfig) -> Checkpoint:
    """The run's last checkpoint, if ``cfg`` may continue it; else a one-line error."""
    if not layout.last_checkpoint.exists():
        raise GanforgeError(f"nothing to resume: {layout.last_checkpoint} does not exist")
    ckpt = load_checkpoint(layout.last_checkpoint)
    if ckpt.recipe != cfg.recipe:
        raise GanforgeError(
            f"{ckpt.path} is a {ckpt.recipe!r} checkpoint; cannot resume it as {cfg.recipe!r}"
        )
    saved, now = flatten(as_trained(ckpt.config)), flatten(cfg.to_dict())
    for key in sorted(saved.keys() | now.keys()):
        if key.split(".")[-1] in RESUMABLE and key.startswith("train."):
            continue
        if key == "data":  # where the images are; their fingerprint says they are the same
            continue
        if saved.get(key) != now.get(key):
            raise ConfigError(
                f"cannot change {key} when resuming (the run used {saved.get(key)!r}, "
                f"got {now.get(key)!r}); start a new run with another --out instead"
            )
    return ckpt


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"epochs": 5}}`` → ``{"train.epochs": 5}`` (tuples and lists alike)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = list(value) if isinstance(value, (list, tuple)) else value
    return out
