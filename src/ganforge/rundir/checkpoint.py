"""Checkpoints as safetensors: weights, optimizer state and RNG state, no pickle anywhere.

One file holds G, D (parameters and buffers), both optimizers' tensors and the RNG states as
tensors, and everything else (step, epoch, config, optimizer hyperparameters) as JSON in the
safetensors metadata. Loading it can therefore never run code. Files are written atomically:
a temporary file in the same folder, fsync, then ``os.replace``, so a crash at any moment
leaves either the old checkpoint or the new one, never half of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganforge.errors import CheckpointError
from ganforge.models.base import Recipe
from ganforge.rundir.atomic import read_safetensors, write_safetensors
from ganforge.rundir.checkpoint_checks import (
    CheckpointMeta,
    check_meta,
    check_module_tensors,
    check_optimizer_tensors,
    check_param_groups,
    check_rng,
    check_state_names,
)

FORMAT = "ganforge-checkpoint/1"


@dataclass
class Checkpoint:
    """A loaded checkpoint: flat tensors and decoded metadata."""

    path: Path
    tensors: dict[str, Tensor]
    meta: dict[str, Any]

    @property
    def step(self) -> int:
        return int(self.meta["step"])

    @property
    def recipe(self) -> str:
        return str(self.meta["recipe"])

    @property
    def config(self) -> dict[str, Any]:
        return self.meta["config"]

    def module_state(self, prefix: str) -> dict[str, Tensor]:
        cut = len(prefix) + 1
        return {k[cut:]: v for k, v in self.tensors.items() if k.startswith(prefix + ".")}


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer) -> tuple[dict, dict]:
    sd = opt.state_dict()
    tensors: dict[str, Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, state in sd["state"].items():
        for key, value in state.items():
            if isinstance(value, Tensor):
                tensors[f"{prefix}.state.{pid}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(pid), {})[key] = value
    meta = {"param_groups": sd["param_groups"], "scalars": scalars}
    return tensors, meta


def _unflatten_optimizer(prefix: str, ckpt: Checkpoint) -> dict[str, Any]:
    meta = ckpt.meta["optimizers"][prefix]
    state: dict[int, dict[str, Any]] = {}
    for pid, values in meta["scalars"].items():
        state.setdefault(int(pid), {}).update(values)
    head = prefix + ".state."
    for key, value in ckpt.tensors.items():
        if key.startswith(head):
            pid, name = key[len(head) :].split(".", 1)
            state.setdefault(int(pid), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


# The weight average's batch-norm statistics in a checkpoint are its own (standing statistics);
# older checkpoints hold the live G's, which a loader recomputes before sampling.
EMA_STANDING_STATS = "standing"


def has_standing_stats(ckpt: Checkpoint) -> bool:
    """Whether ``ckpt``'s weight average carries batch-norm statistics of its own."""
    return ckpt.meta.get("ema_batch_norm") == EMA_STANDING_STATS


def recipe_modules(recipe: Recipe, purpose: str = "load") -> dict[str, torch.nn.Module]:
    """The one mapping between a recipe's modules and a checkpoint's names: ``generator``,
    ``discriminator``, where the recipe keeps a weight average of G ``generator_ema``, and
    with ADA (``model.augment: ada``) ``augment``, its controller's p and sums.

    ``purpose``: "save" (the average as samples are drawn from it, its batch-norm statistics
    recomputed: :attr:`Recipe.sampler`), "load" (the average's live module, which a restore
    fills in) or "sample" (what drawing samples needs: G and its average, not D).
    """
    modules: dict[str, torch.nn.Module] = {"generator": recipe.generator}
    if purpose != "sample":
        modules["discriminator"] = recipe.discriminator
        if recipe.augmentation is not None and recipe.augmentation.ada is not None:
            modules["augment"] = recipe.augmentation.ada
    if recipe.ema is not None:
        modules["generator_ema"] = recipe.sampler if purpose == "save" else recipe.ema.model
    return modules


def save_checkpoint(
    path: Path,
    *,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    meta: dict[str, Any],
) -> Path:
    """Write a checkpoint atomically: ``modules`` under their names (:func:`recipe_modules`),
    the optimizers' state, the RNG states and ``meta``, which must hold ``recipe``, ``step``
    and ``config``."""
    tensors: dict[str, Tensor] = {}
    for prefix, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"{prefix}.{key}"] = value.detach().cpu().contiguous()
    opt_meta = {}
    for prefix, opt in optimizers.items():
        t, m = _flatten_optimizer(prefix, opt)
        tensors.update(t)
        opt_meta[prefix] = m
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = state
    full_meta = {**meta, "format": FORMAT, "optimizers": opt_meta}
    return write_safetensors(Path(path), tensors, full_meta, "checkpoint")


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a checkpoint; anything that is not a complete ganforge checkpoint is refused."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    tensors, meta = read_safetensors(path, "checkpoint")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a safetensors file but not a ganforge checkpoint")
    missing = [k for k in ("recipe", "step", "config", "optimizers") if k not in meta]
    if missing or "rng.cpu" not in tensors:
        what = ", ".join(missing) or "rng.cpu"
        raise CheckpointError(f"{path} is an incomplete ganforge checkpoint (missing {what})")
    check_meta(meta, path)
    check_rng(path, tensors["rng.cpu"])
    return Checkpoint(path, tensors, meta)


def checkpoint_meta(path: Path) -> CheckpointMeta:
    """The metadata of the checkpoint ``path``, checked as :func:`load_checkpoint` checks it,
    from its header alone (no tensor is read): what a listing needs, its class names say."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    _, meta = read_safetensors(path, "checkpoint", tensors=False)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a safetensors file but not a ganforge checkpoint")
    return check_meta(meta, path)


def restore(
    ckpt: Checkpoint,
    *,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer] | None = None,
    rng: bool = True,
) -> None:
    """Load weights (and optimizer and RNG state) from ``ckpt`` into live objects; ``modules``
    by their names in the checkpoint (:func:`recipe_modules`)."""
    check_tensors(ckpt, modules, optimizers or {})
    try:
        for prefix, module in modules.items():
            module.load_state_dict(ckpt.module_state(prefix))
        for prefix, opt in (optimizers or {}).items():
            # The live optimizer's kernel choice (fused, foreach) is this machine's, not the
            # saved one's: load_state_dict would otherwise bring back that of the run's first
            # device or ganforge version.
            kernels = [{k: g[k] for k in ("fused", "foreach") if k in g} for g in opt.param_groups]
            opt.load_state_dict(_unflatten_optimizer(prefix, ckpt))
            for group, kernel in zip(opt.param_groups, kernels, strict=True):
                group.update(kernel)
    except (RuntimeError, KeyError, ValueError, TypeError) as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f"{ckpt.path} does not fit recipe {ckpt.recipe!r} as configured: {first}"
        ) from None
    if rng:
        torch.set_rng_state(ckpt.tensors["rng.cpu"])
        cuda_states = [
            ckpt.tensors[f"rng.cuda.{i}"]
            for i in range(torch.cuda.device_count())
            if f"rng.cuda.{i}" in ckpt.tensors
        ]
        if cuda_states:
            torch.cuda.set_rng_state_all(cuda_states)


def check_tensors(
    ckpt: Checkpoint,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer] | None = None,
) -> None:
    """Every tensor ``ckpt`` would load into ``modules`` and ``optimizers`` checked against
    them (names, shapes, dtypes, finite values: see :mod:`.checkpoint_checks`) before any is
    loaded, so a refused checkpoint leaves the live objects as they were."""
    for prefix, module in modules.items():
        check_module_tensors(ckpt.path, prefix, module, ckpt.module_state(prefix), ckpt.recipe)
    for prefix, opt in (optimizers or {}).items():
        saved = ckpt.meta["optimizers"].get(prefix)
        if saved is None:
            raise CheckpointError(f"{ckpt.path} holds no state of optimizer {prefix}")
        check_param_groups(ckpt.path, prefix, opt, saved["param_groups"])
        state = ckpt.module_state(f"{prefix}.state")
        check_optimizer_tensors(ckpt.path, prefix, opt, state)
        check_state_names(ckpt.path, prefix, opt, state, saved["scalars"])


def cuda_index(device: torch.device) -> int | None:
    """The index of the CUDA device training runs on, or None off CUDA."""
    if device.type != "cuda":
        return None
    return device.index if device.index is not None else torch.cuda.current_device()


def restore_training_device_rng(ckpt: Checkpoint, device: torch.device) -> None:
    """Give the training device the RNG state of the device the checkpoint's run trained on.

    :func:`restore` sets each CUDA device's state from the same device's in the checkpoint;
    a run resumed on another GPU (or under torchrun, where process r trains on cuda:r but
    rank 0 saved cuda:0's) would otherwise draw from a state no training advanced.
    """
    saved = ckpt.meta.get("cuda_rng_device")
    index = cuda_index(device)
    key = f"rng.cuda.{saved}"
    if index is not None and saved is not None and saved != index and key in ckpt.tensors:
        torch.cuda.set_rng_state(ckpt.tensors[key], index)
