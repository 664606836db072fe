"""Real MNIST digits written as the user's own data, for the tests of ``--data``: a folder
per digit named by its word, a flat folder, and an ``.npz`` (see the ``digits`` fixture)."""

from pathlib import Path

import numpy as np
from PIL import Image

from ganforge.data import load_dataset

N = 300  # digits written: the first N of MNIST's test split
# Class folders named by words: their sorted order (eight, five, ...) is not the digits'.
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# A tiny training run of `ganforge train`: 5 steps of 32 images, plain lines, no grids between.
FAST = ("--steps", "5", "--batch-size", "32", "--plain", "--sample-every", "0")


def write_digits(mnist_dir: Path, root: Path) -> dict:
    """The first :data:`N` real MNIST test digits, written under ``root``: ``classes`` (a
    folder per digit, named by its word), ``flat`` (one folder) and ``digits.npz``."""
    test = load_dataset("mnist", "test", mnist_dir)
    images, labels = test.images[:N].numpy(), test.labels[:N].numpy()
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        for folder in (root / "classes" / WORDS[label], root / "flat"):
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{i:04d}.png")
    np.savez(root / "digits.npz", images=images, labels=labels, class_names=np.array(WORDS))
    return {"images": images, "labels": labels, "root": root}
