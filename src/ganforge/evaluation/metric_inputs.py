"""Input checks shared by the metric modules: feature and logit matrices, label vectors and
class counts are validated (and converted to float64 or int64) before any arithmetic, so each
metric fails with a message naming the bad argument."""

from __future__ import annotations

import torch
from torch import Tensor


def check_matrix(name: str, x: Tensor, min_rows: int = 1) -> Tensor:
    """``x`` as a detached float64 matrix, after checking its shape and values."""
    if not isinstance(x, Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a 2-D tensor (N×d), got {shape}")
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows, got {x.shape[0]}")
    if x.shape[1] < 1:
        raise ValueError(f"{name} has no columns")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x.detach().to(torch.float64)


def check_pair(
    real: Tensor, fake: Tensor, min_rows: int = 1, names: tuple[str, str] = ("real", "fake")
) -> tuple[Tensor, Tensor]:
    """Both feature matrices as float64, checked for equal width and device."""
    real = check_matrix(f"{names[0]}_features", real, min_rows)
    fake = check_matrix(f"{names[1]}_features", fake, min_rows)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real and fake features differ in width: {real.shape[1]} vs {fake.shape[1]}"
        )
    if real.device != fake.device:
        raise ValueError(f"real features are on {real.device}, fake ones on {fake.device}")
    return real, fake


def check_labels(name: str, labels: Tensor, n: int, num_classes: int) -> Tensor:
    """``labels`` as a 1-D int64 tensor of length ``n`` with values in ``[0, num_classes)``."""
    if not isinstance(labels, Tensor) or labels.shape != (n,):
        shape = tuple(labels.shape) if isinstance(labels, Tensor) else type(labels).__name__
        raise ValueError(f"{name} must hold one label per sample ({n}), got {shape}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"{name} must be integers, got {labels.dtype}")
    labels = labels.to(torch.int64)
    if n and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        low, high = int(labels.min()), int(labels.max())
        raise ValueError(f"{name} must lie in [0, {num_classes}), got values {low}..{high}")
    return labels


def check_num_classes(num_classes: int) -> None:
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
