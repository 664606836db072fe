"""Family A: five Keras models sharing one loop (latent 128, Gaussian noise, Yogi).

Common to all five, as the classic loop does it: D trains on one concatenated ``[fake; real]``
batch (``joint_batch``), then G trains through D frozen with target "real"; optimizer Yogi
(not Adam); Keras' initialisation and batch norm. Counts follow the source, where Keras counts
batch norm as 4c.

G's step runs D as Keras runs a frozen model: no weight updates, and batch norm in inference
mode (its moving statistics, ``frozen_d_batch_norm``), which TensorFlow 2 Keras does for a
batch-norm layer with ``trainable = False``. "3 D steps per G step" train D three times on
the same real batch, with fresh fakes each time, as the loop does per batch
(``d_steps_same_batch``): an epoch is one pass, one G step per real batch.

Yogi is ``pytorch_optimizer``'s. TF Addons' Yogi, which the Keras code ran, applies its
ε = 1e-3 after the bias correction rather than before, so for the first few thousand steps
its effective ε is larger (about 0.03 at step 1, 3e-3 at step 100); later the two agree.

This module owns the shared loop: its config and the family's BCE recipe base. The presets
are in :mod:`.keras_yogi_selu_gelu` (``gan-selu``, ``dcgan-gelu``) and
:mod:`.keras_yogi_shared_nets` (the improved DCGAN's networks and the three presets built on
them).
"""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.config import ModelConfig
from ganforge.models.objectives import BCEConfig, BCERecipe

SOURCE = "Keras family A: five models sharing one loop (Yogi, latent 128)"


@dataclass
class KerasYogiLoop(ModelConfig):
    """The shared loop's settings, mixed into each preset's objective config: latent 128
    N(0,1), Yogi 1e-3 with its defaults (β1 0.9, ε 1e-3), one joint D forward over
    [fake; real], D's k steps on the step's one batch, Keras' frozen batch norm in G's step."""

    latent_dim: int = 128
    optimizer_g: str = "yogi"
    optimizer_d: str = "yogi"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    beta1: float = 0.9
    joint_batch: bool = True
    d_steps_same_batch: bool = True
    frozen_d_batch_norm: bool = True  # Keras' frozen D: batch norm in inference mode


@dataclass
class KerasYogiConfig(KerasYogiLoop, BCEConfig):
    """The loop with the BCE objective."""


class KerasYogiRecipe(BCERecipe):
    """Shared metadata of the family's BCE presets."""

    source = SOURCE
    counts_batch_norm_as = "4c"
