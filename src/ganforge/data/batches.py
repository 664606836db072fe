"""Batches drawn by index from one in-memory uint8 tensor, normalised on the fly.

No per-image PIL transforms and no DataLoader workers: a batch is one gather from the dataset
tensor (already on the training device) and one fused normalise, which is what keeps the
input pipeline off the profile.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor


class ImageTransform:
    """uint8 N×28×28 ↔ float N×1×R×R in the recipe's range ("-1,1" or "0,1").

    Resolution 32 pads two black pixels on each side (the classic LeNet padding); 64 resizes
    bilinearly. :meth:`to_uint8` inverts either, back to the dataset's 28×28.
    """

    def __init__(self, data_range: str = "-1,1", resolution: int = 28) -> None:
        if data_range not in ("-1,1", "0,1"):
            raise ValueError(f"data_range must be '-1,1' or '0,1', got {data_range!r}")
        if resolution not in (28, 32, 64):
            raise ValueError(f"resolution must be 28, 32 or 64, got {resolution}")
        self.data_range = data_range
        self.resolution = resolution
        # x = u8 * scale + shift
        self.scale, self.shift = (2 / 255, -1.0) if data_range == "-1,1" else (1 / 255, 0.0)

    @property
    def bounds(self) -> tuple[float, float]:
        return (-1.0, 1.0) if self.data_range == "-1,1" else (0.0, 1.0)

    def __call__(self, images: Tensor) -> Tensor:
        x = images.unsqueeze(1).float().mul_(self.scale).add_(self.shift)
        if self.resolution == 32:
            x = F.pad(x, (2, 2, 2, 2), value=self.shift)
        elif self.resolution == 64:
            x = F.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
        return x

    def to_uint8(self, x: Tensor) -> Tensor:
        """Float N×1×R×R in the recipe's range → uint8 N×28×28 (the dataset's format)."""
        x = x.detach().float()
        if self.resolution == 32:
            x = x[:, :, 2:30, 2:30]
        elif self.resolution == 64:
            x = F.interpolate(
                x, size=(28, 28), mode="bilinear", antialias=True, align_corners=False
            )
        u = (x[:, 0] - self.shift) / self.scale
        return u.round_().clamp_(0, 255).to(torch.uint8)


class BatchStream:
    """The batches of each epoch, as ``sampling`` defines an epoch.

    - ``"shuffle"``: one pass in a fresh random order, full batches only (the last partial
      batch is dropped);
    - ``"replacement"``: ``epoch_batches`` batches of images drawn at random with replacement;
    - ``"class"``: the same, but every batch is all of one class, itself drawn at random.

    Epoch ``e``'s batches are a function of ``(seed, e)`` alone, so a run resumed at any batch
    sees exactly the batches an uninterrupted run would have.

    Data-parallel (``world_size`` processes): ``batch_size`` is the global batch, and process
    ``rank`` gets slice ``rank`` of each global batch, ``batch_size / world_size`` images; the
    slices of all processes together are exactly one process's batch, in its order.
    """

    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        batch_size: int,
        seed: int,
        transform: ImageTransform,
        sampling: str = "shuffle",
        epoch_batches: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if batch_size % world_size or not 0 <= rank < world_size:
            raise ValueError(
                f"a global batch of {batch_size} does not split into {world_size} equal "
                f"slices (or rank {rank} is not one of them)"
            )
        if sampling == "shuffle" and batch_size > images.shape[0]:
            raise ValueError(
                f"batch size {batch_size} is larger than the dataset ({images.shape[0]} images)"
            )
        if sampling not in ("shuffle", "replacement", "class"):
            raise ValueError(f"unknown sampling {sampling!r}")
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.seed = seed
        self.transform = transform
        self.sampling = sampling
        self._epoch_batches = epoch_batches
        local = batch_size // world_size
        self._slice = slice(rank * local, (rank + 1) * local)  # this process's share
        if sampling == "class":
            # The images sorted by class, and where each class starts and how many it has.
            cpu_labels = labels.cpu()
            self._by_class = torch.argsort(cpu_labels, stable=True)
            self._counts = torch.bincount(cpu_labels)
            self._starts = torch.cumsum(self._counts, 0) - self._counts

    @property
    def batches_per_epoch(self) -> int:
        if self.sampling != "shuffle" and self._epoch_batches:
            return self._epoch_batches
        return self.images.shape[0] // self.batch_size

    def _generator(self, epoch: int) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)

    def permutation(self, epoch: int) -> Tensor:
        return torch.randperm(self.images.shape[0], generator=self._generator(epoch)).to(
            self.images.device
        )

    def epoch_indices(self, epoch: int) -> Tensor:
        """The image indices of every batch of ``epoch``: ``batches_per_epoch × batch_size``."""
        n, b, g = self.batches_per_epoch, self.batch_size, self._generator(epoch)
        if self.sampling == "shuffle":
            return self.permutation(epoch)[: n * b].view(n, b)
        if self.sampling == "replacement":
            idx = torch.randint(0, self.images.shape[0], (n, b), generator=g)
        else:
            present = torch.nonzero(self._counts).flatten()  # classes with images
            classes = present[torch.randint(0, len(present), (n,), generator=g)]
            offsets = (torch.rand(n, b, generator=g) * self._counts[classes, None]).long()
            idx = self._by_class[self._starts[classes, None] + offsets]
        return idx.to(self.images.device)

    def epoch(self, epoch: int, start_batch: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        """Yield (images, labels) batches of ``epoch`` from batch index ``start_batch`` on
        (this process's slice of each, data-parallel)."""
        indices = self.epoch_indices(epoch)[:, self._slice]
        for i in range(start_batch, indices.shape[0]):
            idx = indices[i]
            yield self.transform(self.images[idx]), self.labels[idx]
