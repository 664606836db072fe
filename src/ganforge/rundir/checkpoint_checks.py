"""What a checkpoint must be before anything of it is used: its metadata a typed record
(:class:`CheckpointMeta`), its tensors the names, shapes and dtypes of the live modules and
optimizers they are loaded into, every floating-point value finite.

A checkpoint may come from a stranger. Without these checks a crafted file loads int8 or
NaN weights and samples blank images with exit status 0, or fails deep inside
``load_state_dict`` or an optimizer step with a traceback; with them, each is a one-line
:class:`~ganforge.errors.CheckpointError` naming the file and the tensor or field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor

from ganforge.errors import CheckpointError
from ganforge.rundir.records import decode_record

MAX_CLASSES = 1000
MAX_CLASS_NAME = 256  # characters of one class name (a folder's name, an .npz's class_names)
# The float widths a weight may be saved in; float8 has no isfinite and no use here.
FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_SCALAR = object()  # a hyperparameter the live optimizer lacks: any finite JSON scalar
LISTED = 3  # names listed in a message before "…"


@dataclass(frozen=True, kw_only=True)
class CheckpointMeta:
    """The JSON metadata of a checkpoint (see :func:`~ganforge.rundir.checkpoint.
    save_checkpoint`); the fields with a default were added after the first format."""

    RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "step": (0, 2**53),
        "epoch": (0, 1e12),
        "elapsed": (0, 1e10),
        "peak_memory_mib": (0, 1e9),
        "rollbacks": (0, 1e6),
        "num_classes": (1, MAX_CLASSES),
        "world_size": (1, 1e6),
        "cuda_rng_device": (0, 1e4),
        "best_fid": (0, 1e12),
        "best_epoch": (0, 1e12),
    }

    format: str
    recipe: str
    step: int
    config: dict[str, Any]
    optimizers: dict[str, dict[str, Any]]
    epoch: float | None = None
    elapsed: float | None = None
    peak_memory_mib: float | None = None
    rollbacks: int | None = None
    num_classes: int | None = None
    class_names: list[str] | None = None  # the training data's, for the sample grids' labels
    data_fingerprint: str | None = None
    world_size: int | None = None
    cuda_rng_device: int | None = None
    ema_batch_norm: str | None = None
    best_fid: float | None = None
    best_epoch: float | None = None


@dataclass(frozen=True, kw_only=True)
class OptimizerMeta:
    """One optimizer's entry in :attr:`CheckpointMeta.optimizers`: its parameter groups as
    ``torch.optim`` keeps them, and its per-parameter non-tensor state by parameter index."""

    param_groups: list[dict[str, Any]]
    scalars: dict[str, dict[str, Any]]


def check_meta(meta: dict[str, Any], path: Path) -> CheckpointMeta:
    """``meta`` as a :class:`CheckpointMeta`, each field and optimizer entry checked."""
    record = decode_record(CheckpointMeta, meta, path, "a ganforge checkpoint")
    names = record.class_names or []
    if len(names) > MAX_CLASSES or any(not 0 < len(n) <= MAX_CLASS_NAME for n in names):
        raise CheckpointError(
            f"{path}: class_names must be at most {MAX_CLASSES} names of 1 to "
            f"{MAX_CLASS_NAME} characters"
        )
    for name, entry in record.optimizers.items():
        decode_record(OptimizerMeta, entry, f"{path} (optimizer {name})", "an optimizer's state")
        for pid in entry["scalars"]:
            if not pid.isdigit():
                raise CheckpointError(f"{path}: optimizer {name} has a state for {pid!r}")
    return record


def check_module_tensors(
    path: Path, prefix: str, module: torch.nn.Module, got: dict[str, Tensor], recipe: str
) -> None:
    """``got`` (the tensors of ``module`` in a checkpoint of ``recipe``, by their state-dict
    names) must hold exactly the module's names, each of its shape, floating where the
    module's is (any float width: a half-precision copy loads) and of its dtype otherwise,
    finite, and within the module's ``STATE_RANGES`` for a name it bounds (ADA's p in
    [0, 1])."""
    want = module.state_dict()
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    if missing or extra:
        which = f"lacks {_names(missing)}" if missing else f"has unknown {_names(extra)}"
        raise CheckpointError(
            f"{path}: {prefix} {which}: this checkpoint of recipe {recipe!r} does not fit "
            "the recipe as configured"
        )
    ranges = getattr(module, "STATE_RANGES", {})
    for key, ref in want.items():
        _check_tensor(path, f"{prefix}.{key}", got[key], ref)
        low, high = ranges.get(key, (-math.inf, math.inf))
        if not bool(((got[key] >= low) & (got[key] <= high)).all()):
            raise CheckpointError(
                f"{path}: {prefix}.{key} must be in {low:g}..{high:g}, got "
                f"{got[key].flatten()[:LISTED].tolist()}"
            )


def check_optimizer_tensors(
    path: Path, prefix: str, opt: torch.optim.Optimizer, got: dict[str, Tensor]
) -> None:
    """An optimizer's state tensors (``{pid}.{name}``): for a parameter the optimizer has,
    floating, finite, and a scalar or of the parameter's shape."""
    params = [p for group in opt.param_groups for p in group["params"]]
    for key, value in got.items():
        pid, _, name = key.partition(".")
        if not pid.isdigit() or int(pid) >= len(params) or not name:
            raise CheckpointError(f"{path}: {prefix} holds state {key!r} for no parameter")
        param = params[int(pid)]
        shape_ok = value.numel() == 1 or value.shape == param.shape
        if value.dtype not in FLOATS or not shape_ok:
            raise CheckpointError(
                f"{path}: {prefix}.state.{key} is {_kind(value)}, expected a float scalar or "
                f"one of shape {tuple(param.shape)}"
            )
        if not finite(value, param.dtype):
            raise CheckpointError(f"{path}: {prefix}.state.{key} holds NaN or infinity")


def check_state_names(
    path: Path,
    prefix: str,
    opt: torch.optim.Optimizer,
    got: dict[str, Tensor],
    scalars: dict[str, dict[str, Any]],
) -> None:
    """Every parameter with a saved state (its tensors ``got``, ``{pid}.{name}``, and its
    ``scalars``) holds the same names, and every name a state of ``opt``'s kind holds after a
    step: a torch optimizer trusts a state it finds, and Adam's first step on one lacking
    ``exp_avg_sq`` would fail with a KeyError."""
    names: dict[str, set[str]] = {}
    for key in got:
        pid, _, name = key.partition(".")
        names.setdefault(pid, set()).add(name)
    for pid, values in scalars.items():
        names.setdefault(pid, set()).update(values)
    every = set().union(*names.values())
    for pid, have in sorted(names.items()):
        if have != every:
            missing = ", ".join(sorted(every - have))
            raise CheckpointError(
                f"{path}: {prefix}'s state of parameter {pid} lacks {missing}, which the "
                "other parameters' state has"
            )
    if every and (needed := stepped_state_names(opt) - every):
        raise CheckpointError(
            f"{path}: {prefix}'s state lacks {', '.join(sorted(needed))}, which "
            f"{type(opt).__name__}'s state holds after a step"
        )


def stepped_state_names(opt: torch.optim.Optimizer) -> set[str]:
    """The names a parameter's state holds after one step of an optimizer like ``opt`` (its
    class and its first group's hyperparameters), found on a throwaway parameter of the same
    device and dtype; none when the optimizer cannot be made so (then the run's own step is
    the check)."""
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    like = next(iter(opt.param_groups[0]["params"]), torch.zeros(1))
    param = torch.zeros(1, device=like.device, dtype=like.dtype, requires_grad=True)
    try:
        probe = type(opt)([{**group, "params": [param]}])
        param.grad = torch.zeros_like(param)
        probe.step()
    except (TypeError, ValueError, RuntimeError):
        return set()
    return set(probe.state[param])


def check_rng(path: Path, state: Tensor) -> None:
    """The CPU generator's state: uint8 of the size this torch's generator keeps."""
    want = torch.get_rng_state()
    if state.dtype != want.dtype or state.shape != want.shape:
        raise CheckpointError(
            f"{path}: rng.cpu is {_kind(state)}, expected {_kind(want)} (a CPU generator state)"
        )
    try:  # on a generator of its own: the process's is set only once all is checked
        torch.Generator().set_state(state)
    except RuntimeError as err:  # "Invalid mt19937 state"
        raise CheckpointError(f"{path}: rng.cpu is no CPU generator state ({err})") from None


def _check_tensor(path: Path, name: str, value: Tensor, ref: Tensor) -> None:
    same_kind = value.dtype in FLOATS if ref.is_floating_point() else value.dtype == ref.dtype
    if not same_kind or value.shape != ref.shape:
        raise CheckpointError(f"{path}: {name} is {_kind(value)}, expected {_kind(ref)}")
    if ref.is_floating_point() and not finite(value, ref.dtype):
        raise CheckpointError(f"{path}: {name} holds NaN or infinity; refusing to load it")


def finite(value: Tensor, dtype: torch.dtype) -> bool:
    """Whether every value of ``value`` is finite once in ``dtype``, the live tensor's it is
    loaded into (a float64 1e300 is infinite in float32; float8 has no ``isfinite``)."""
    return bool(torch.isfinite(value.to(dtype)).all())


def _kind(t: Tensor) -> str:
    return f"{str(t.dtype).removeprefix('torch.')} {tuple(t.shape)}"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED]) + (", …" if len(names) > LISTED else "")
    return f"{len(names)} tensor{'s' if len(names) > 1 else ''} ({shown})"


def check_param_groups(
    path: Path, prefix: str, opt: torch.optim.Optimizer, saved: list[dict[str, Any]]
) -> None:
    """The saved parameter groups of ``opt``: as many as it has, each with as many
    parameters, and every hyperparameter the live group has of its kind (a finite number,
    a boolean, a pair of numbers …), so that no string learning rate reaches a step."""
    live = opt.param_groups
    if len(saved) != len(live):
        raise CheckpointError(
            f"{path}: {prefix} has {len(saved)} parameter groups, expected {len(live)}"
        )
    for group, ref in zip(saved, live, strict=True):
        params = group.get("params")
        if not isinstance(params, list) or len(params) != len(ref["params"]):
            raise CheckpointError(f"{path}: {prefix}'s parameter group does not fit the recipe")
        missing = [k for k, v in ref.items() if k != "params" and _needed(v) and k not in group]
        if missing:  # the optimizer's step would fail on it (a KeyError traceback)
            raise CheckpointError(f"{path}: {prefix}'s parameter group lacks {', '.join(missing)}")
        for key, value in group.items():
            want = ref.get(key, _SCALAR)  # a key the live group lacks (peak_lr): a scalar
            if key != "params" and not _same_kind(value, want):
                raise CheckpointError(
                    f"{path}: {prefix}'s {key} is {str(value)[:40]!r}, expected one like {want!r}"
                )


def _needed(want: Any) -> bool:
    """Whether a live hyperparameter must be in a saved group: a number or a pair of numbers
    (lr, betas, eps, weight_decay); torch fills the flags in itself (amsgrad, foreach, …)."""
    return isinstance(want, (int, float, tuple, list, Tensor)) and not isinstance(want, bool)


def _same_kind(value: Any, want: Any) -> bool:
    """Whether the saved JSON ``value`` can stand for the live hyperparameter ``want``."""
    if want is _SCALAR:
        return value is None or isinstance(value, (bool, str)) or _finite_number(value)
    if isinstance(want, bool) or want is None:
        return value is None or isinstance(value, bool)
    if isinstance(want, (int, float)):
        return _finite_number(value)
    if isinstance(want, (tuple, list)):
        return (
            isinstance(value, list)
            and len(value) == len(want)
            and all(_same_kind(v, w) for v, w in zip(value, want, strict=True))
        )
    if isinstance(want, Tensor):  # a tensor learning rate: a number in JSON
        return _finite_number(value)
    return isinstance(value, (str, type(None)))


def _finite_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and abs(value) < float("inf")
    )
