"""How a recipe draws from its generator: latents and labels, G's forward (through its
data-parallel wrapper in training), a training step's batch of fresh fakes, and eval-mode
images from :attr:`~GeneratorSampling.sampler`, the weight average with batch-norm statistics
of its own where the recipe keeps one.

:class:`GeneratorSampling` is mixed into :class:`~ganforge.models.base.Recipe`, which provides
what it uses: ``cfg``, ``num_classes``, ``conditional``, ``ema``, ``generator``,
``g_forward``, ``device`` and ``per_sample_draw``.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from ganforge.config import ModelConfig
from ganforge.models.ema import GeneratorEMA

# Standing statistics of the weight average's batch norms: 100 batches of 64 latents (6,400
# samples; on the dense gan, a one-off script found 3,200 and 64,000 within 0.05 FID of it).
EMA_NORM_BATCH = 64
EMA_NORM_BATCHES = 100


class GeneratorSampling:
    """A recipe's draws from G: latents, labels, fakes and sampled images."""

    name: ClassVar[str]
    conditional: ClassVar[bool]
    cfg: ModelConfig
    num_classes: int
    ema: GeneratorEMA | None
    generator: nn.Module
    g_forward: nn.Module

    @property
    def sampler(self) -> nn.Module:
        """The generator that samples come from: the weight average if on (its batch-norm
        statistics recomputed first if its weights moved since), else G itself."""
        if self.ema is None:
            return self.generator
        if self.ema.stale:
            self._recompute_ema_batch_norm()
        return self.ema.model

    def _recompute_ema_batch_norm(self) -> None:
        # Latents (and labels) from a stream of their own, the same each time: training's
        # random stream is untouched, and equal weights get equal statistics (exact resumes).
        stream = torch.Generator().manual_seed(0)

        def draw() -> tuple[Tensor, ...]:
            z = self.sample_latent(EMA_NORM_BATCH, generator=stream)
            if not self.conditional:
                return (z,)
            return z, self.sample_labels(EMA_NORM_BATCH, generator=stream)

        self.ema.recompute_batch_norm(draw, EMA_NORM_BATCHES)

    def sample_latent(
        self, n: int, device: torch.device | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """Draw ``n`` latent vectors from the recipe's latent distribution."""
        device = device or self.device
        shape = (n, self.cfg.latent_dim)
        if generator is not None and generator.device != device:
            # A CPU generator keeps fixed latents identical on every device.
            return self.sample_latent(n, torch.device("cpu"), generator).to(device)
        if self.cfg.latent_distribution == "uniform":
            return torch.rand(shape, device=device, generator=generator) * 2 - 1
        return torch.randn(shape, device=device, generator=generator)

    def sample_labels(
        self, n: int, device: torch.device | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """Uniformly random class labels (only meaningful for conditional recipes)."""
        device = device or self.device
        if generator is not None and generator.device != device:
            return self.sample_labels(n, torch.device("cpu"), generator).to(device)
        return torch.randint(0, self.num_classes, (n,), device=device, generator=generator)

    def generate(
        self, z: Tensor, labels: Tensor | None = None, net: nn.Module | None = None
    ) -> Tensor:
        """Run G (or ``net``, e.g. :attr:`sampler`) on latents (and labels if conditional);
        G through its data-parallel wrapper when training on several processes."""
        net = self.g_forward if net is None else net
        if self.conditional:
            if labels is None:
                raise ValueError(f"recipe {self.name} is conditional: generate() needs labels")
            return net(z, labels)
        return net(z)

    @torch.no_grad()
    def sample_images(self, z: Tensor, labels: Tensor | None = None, chunk: int = 512) -> Tensor:
        """:attr:`sampler`'s images for ``z`` (and labels) in eval mode — batch-norm running
        statistics, no dropout — in chunks; its mode is restored afterwards."""
        device, net = self.device, self.sampler
        was_training = net.training
        net.eval()
        try:
            outs = [
                self.generate(
                    z[i : i + chunk].to(device),
                    None if labels is None else labels[i : i + chunk].to(device),
                    net,
                )
                for i in range(0, z.shape[0], chunk)
            ]
        finally:
            net.train(was_training)
        return torch.cat(outs)

    def fresh_fakes(
        self, batch_size: int, labels: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """A batch of fakes from new latents (conditional: for ``labels``, or random ones)."""
        z = self.per_sample_draw(self.sample_latent, batch_size)
        if self.conditional and labels is None:
            labels = self.per_sample_draw(self.sample_labels, batch_size)
        return self.generate(z, labels if self.conditional else None), labels
