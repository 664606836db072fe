"""An exported model through ``huggingface_hub``'s ``PyTorchModelHubMixin``:
:class:`GanforgeGenerator` is a plain ``nn.Module`` built from ``config.json``'s fields, so
``GanforgeGenerator.from_pretrained(FOLDER_OR_REPO_ID)`` loads it as any Hub model loads.

This needs the optional ``hub`` extra (``pip install ganforge[hub]``). It is the Hub's own
loader: ``model.safetensors`` is read by ``safetensors`` into the module (``strict=True``
refuses missing or unknown tensors) without ganforge's checks of finite values;
:func:`~ganforge.generation.load_model` is the checked way to read a folder from a stranger.
"""

from __future__ import annotations

from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import Tensor, nn

from ganforge.generation.export_config import RUN_KEYS
from ganforge.setup.build import build_recipe, config_from_dict


class GanforgeGenerator(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="ganforge",
    tags=["gan", "ganforge"],
    license="mit",
):
    """The sampling generator of an exported model; ``config``: ``config.json``'s keys,
    which the mixin passes as keywords."""

    def __init__(self, **config: Any) -> None:
        super().__init__()
        cfg = config_from_dict({k: config[k] for k in RUN_KEYS if k in config})
        recipe = build_recipe(cfg, int(config.get("num_classes") or 10), "cpu")
        recipe.discriminator = None  # nothing of D is exported
        recipe.ema = None  # the exported weights are the average's already
        self.generator = recipe.generator.eval()
        self._recipe = recipe
        self.num_classes = recipe.num_classes
        self.conditional = recipe.conditional

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Images for latents ``z`` (and class ``labels``, for a conditional model)."""
        return self._recipe.generate(z, labels, self.generator)

    def latents(self, n: int, seed: int) -> Tensor:
        """``n`` latents from ``seed``, as ``ganforge sample --seed`` draws them."""
        return self._recipe.sample_latent(n, generator=torch.Generator().manual_seed(seed))

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, labels: Tensor | None = None) -> Tensor:
        """``n`` images of latent seed ``seed`` in eval mode (the model's mode restored)."""
        was_training = self.training
        self.eval()
        try:
            device = next(self.generator.parameters()).device
            z = self.latents(n, seed).to(device)
            return self(z, None if labels is None else labels.to(device))
        finally:
            self.train(was_training)
