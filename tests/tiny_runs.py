"""Data for the tests that train tiny runs once per module: random uint8 images as an
``ImageData``."""

import torch

from ganforge.data import ImageData


def random_data(fingerprint: str, n: int = 64, seed: int = 0) -> ImageData:
    """``n`` random 28×28 images labelled 0..9 in turn, named by ``fingerprint``."""
    g = torch.Generator().manual_seed(seed)
    return ImageData(
        images=torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g),
        labels=torch.arange(n) % 10,
        class_names=tuple(str(c) for c in range(10)),
        source="random test images",
        fingerprint=fingerprint,
    )
