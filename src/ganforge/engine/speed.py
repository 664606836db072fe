"""Opt-in speed settings of the training loop: bf16 autocast and ``torch.compile``.

Both default off because on the 2-core AVX2 CPU ganforge is developed on they were measured
slower (``make bench``, figures in ``benchmarks/README.md``): without native bf16 a bf16 matrix
product is emulated, hundreds of times slower than fp32, and compiled G and D steps were no
faster than eager ones, after tens of seconds of compilation. On a GPU, or a CPU with AVX-512
BF16 or AMX, they are the settings to try.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import torch

from ganforge.models.base import Recipe

_CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 matrix products in hardware (a CUDA GPU with bf16
    support; a Linux CPU whose flags include AVX-512 BF16 or AMX)."""
    if device.type == "cuda":  # Ampere and later; older GPUs only emulate bf16
        return torch.cuda.get_device_capability(device)[0] >= 8
    if device.type != "cpu":
        return False
    flags = cpu_flags()
    return any(flag in flags for flag in _CPU_BF16_FLAGS)


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux lists them ("flags" on x86, "Features" on Arm; empty
    elsewhere, or unreadable)."""
    if not sys.platform.startswith("linux"):
        return set()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith(("flags", "Features"))), "")
    return set(line.partition(":")[2].split())


def resolve_precision(name: str, device: torch.device) -> str:
    """``train.precision`` → "fp32" or "bf16" on ``device`` ("auto": bf16 only if native)."""
    if name == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return name


def slow_bf16_warning(precision: str, device: torch.device) -> str | None:
    """A warning when bf16 was asked for on a device that only emulates it."""
    if precision == "bf16" and not native_bf16(device):
        return (
            f"precision bf16 on {device}: this device has no native bf16 (AVX-512 BF16, AMX "
            "or a bf16 GPU), so bf16 is emulated and much slower than fp32; "
            "use --precision fp32 or auto"
        )
    return None


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """The context the D and G step losses are computed in: bf16 autocast, or nothing.

    Weights, optimizer state and the losses' reductions stay fp32 (autocast runs matrix
    products and convolutions in bf16 and keeps losses and normalisations in fp32)."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def compile_networks(recipe: Recipe) -> None:
    """``torch.compile`` G and D in place (their state-dict keys stay as they are, so
    checkpoints are the same with and without). A D whose loss differentiates its gradient
    (a gradient penalty) stays eager: compiled graphs support no double backward."""
    recipe.generator.compile()
    if not recipe.double_backward:
        recipe.discriminator.compile()
