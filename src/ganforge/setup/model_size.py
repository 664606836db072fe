"""The size of a configured recipe's networks, measured before any weight is allocated, and
the limit a model config from a file or a flag must stay under.

A config is built into its networks on PyTorch's ``meta`` device first (shapes only, no
memory), and refused in one line if G and D would hold more than the limit: sizes each
within its own bound (``g_channels`` 4096 with ``latent_dim`` 4096 in dcgan: 8 GiB), from a
stranger's checkpoint or a ``--set``, must not make ganforge allocate gigabytes before it
says no. The limit is
:data:`DEFAULT_LIMIT_MIB`; ``GANFORGE_MAX_MODEL_MIB`` (or ``ganforge --max-model-mib``)
raises it for those who mean it.
"""

from __future__ import annotations

import os

import torch

from ganforge.config import RunConfig
from ganforge.errors import ConfigError
from ganforge.models import Recipe, get_recipe

LIMIT_ENV = "GANFORGE_MAX_MODEL_MIB"
# The largest shipped recipe (dcgan-64) holds 90 MiB of weights; 1 GiB is far beyond any
# MNIST-sized model and, with its optimizer state, still fits a laptop's memory.
DEFAULT_LIMIT_MIB = 1024.0


def limit_mib() -> float:
    """The limit on the weights of G and D, in MiB: ``GANFORGE_MAX_MODEL_MIB`` or the default."""
    raw = os.environ.get(LIMIT_ENV, "").strip()
    if not raw:
        return DEFAULT_LIMIT_MIB
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{LIMIT_ENV} must be a positive number of MiB, got {raw!r}")
    return value


def weights_mib(net: torch.nn.Module) -> float:
    """MiB of ``net``'s parameters and buffers (each counted once)."""
    tensors = {id(t): t for t in (*net.parameters(), *net.buffers())}
    return sum(t.numel() * t.element_size() for t in tensors.values()) / 2**20


def check_model_size(cfg: RunConfig, num_classes: int) -> None:
    """Refuse, in one line, a config whose G and D would hold more than :func:`limit_mib`
    of weights, or that cannot be built at all; allocates nothing."""
    try:
        with torch.device("meta"):
            recipe: Recipe = get_recipe(cfg.recipe)(cfg.model, num_classes)
    except (RuntimeError, ValueError, TypeError, OverflowError) as err:
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise ConfigError(
            f"recipe {cfg.recipe!r} cannot be built with this model config: {first}"
        ) from None
    g, d = weights_mib(recipe.generator), weights_mib(recipe.discriminator)
    limit = limit_mib()
    if g + d > limit:
        raise ConfigError(
            f"recipe {cfg.recipe!r} as configured would hold {g + d:,.1f} MiB of weights "
            f"(G {g:,.1f}, D {d:,.1f}), over the {limit:g} MiB limit; check the model's "
            f"sizes, or raise the limit with {LIMIT_ENV} (ganforge --max-model-mib) if you mean it"
        )
