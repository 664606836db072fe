"""``ganforge.load``: a trained generator as a :class:`Model` that draws images as float
tensors N×C×H×W in [0, 1] (:meth:`Model.sample`, :meth:`Model.interpolate`)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from ganforge.api.images import Grid
from ganforge.errors import ConfigError
from ganforge.generation import TrainedModel, interpolation_latents, load_model, sample_labels
from ganforge.generation.export import export_model

Label = int | str | None


class Model:
    """A trained generator, loaded by :func:`load`: its ``recipe`` name, ``dataset``,
    ``class_names`` (conditional recipes), ``device``, ``checkpoint``; ``trained`` is the
    :class:`~ganforge.generation.TrainedModel` underneath. Jupyter shows it as 64 samples."""

    def __init__(self, trained: TrainedModel, path: Path) -> None:
        self.trained = trained
        self.path = path  # what it was loaded from: a run directory or a checkpoint
        self.recipe: str = trained.config.recipe
        self.dataset: str = trained.config.dataset
        self.checkpoint: Path = trained.checkpoint

    @property
    def conditional(self) -> bool:
        """Whether it draws a class asked for (``label=``)."""
        return self.trained.conditional

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """The names of its classes (conditional recipes), else None."""
        return self.trained.class_names

    @property
    def device(self) -> torch.device:
        """Where its weights are, and its images come out."""
        return self.trained.recipe.device

    def _class(self, label: Label) -> int | None:
        if label is None or isinstance(label, str):
            return self.trained.class_index(label)
        if isinstance(label, bool) or not isinstance(label, int):
            raise ConfigError(f"label must be a class index or name, got {label!r}")
        self.trained.check_class(label)
        return label

    def _unit(self, images: Tensor) -> Tensor:
        lo, hi = self.trained.transform.bounds
        return ((images - lo) / (hi - lo)).clamp_(0.0, 1.0)

    def sample(self, n: int = 64, seed: int = 0, label: Label = None) -> Tensor:
        """``n`` images from latent seed ``seed`` (the same seed, the same images on any
        device), as ``ganforge sample`` draws them: float N×C×H×W in [0, 1] on
        :attr:`device`. ``label`` (a class index or name, conditional recipes): all of that
        class; None: every class in turn (image i of class i mod K)."""
        if n < 1:
            raise ConfigError(f"n must be at least 1, got {n}")
        cls = self._class(label)
        labels = sample_labels(self.trained, n, cls)
        images = self.trained.recipe.sample_images(self.trained.latents(seed, n), labels)
        return self._unit(images)

    def interpolate(
        self, from_seed: int = 0, to_seed: int = 1, steps: int = 10, label: Label = None
    ) -> Tensor:
        """``steps`` images along the latent path from seed ``from_seed``'s latent to
        ``to_seed``'s (slerp for Gaussian latents), as ``ganforge interpolate`` draws them; a
        conditional recipe's class held at ``label`` (default 0). N×C×H×W in [0, 1]."""
        if steps < 2:
            raise ConfigError(f"steps must be at least 2, got {steps}")
        cls = self._class(label)
        if self.conditional and cls is None:
            cls = 0
        z = interpolation_latents(self.trained, from_seed, to_seed, steps)
        labels = sample_labels(self.trained, steps, cls)
        return self._unit(self.trained.recipe.sample_images(z, labels))

    def grid(self, n: int = 64, seed: int = 0, label: Label = None) -> Grid:
        """:meth:`sample`'s images as a :class:`Grid` (a conditional recipe's classes as
        columns, named), to show or save."""
        images = self.sample(n, seed, label)
        cls = self._class(label)
        labels = sample_labels(self.trained, n, cls)
        k = self.trained.recipe.num_classes if labels is not None and cls is None else None
        return Grid(images, k or (8 if n >= 8 else n), labels, self.class_names)

    def export(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        """Write the generator into ``out_dir`` in the Hugging Face Hub's model layout, as
        ``ganforge export`` does (``model.safetensors``, ``config.json``, a model card and its
        grid); :func:`load` reads the folder back. Returns the files written."""
        checkpoint = None if self.path.is_file() else self.checkpoint
        return export_model(self.path, Path(out_dir), force=force, checkpoint=checkpoint)

    def __repr__(self) -> str:
        res = self.trained.config.model.resolution
        kind = f", {len(self.class_names or ())} classes" if self.conditional else ""
        return (
            f"Model({self.recipe} on {self.dataset}, {res}×{res}{kind}, "
            f"device={self.device}, checkpoint={str(self.checkpoint)!r})"
        )

    def _repr_png_(self) -> bytes:
        return self.grid()._repr_png_()


def load(path: str | Path, *, checkpoint: str | Path | None = None, device: str = "cpu") -> Model:
    """Load a trained generator from a run directory (its last checkpoint, or
    ``checkpoint``), a checkpoint file or an exported folder (``ganforge export``), onto
    ``device`` (``cpu``, ``cuda``, ``mps``, ``auto``), safely (safetensors, no pickle): a
    :class:`Model`."""
    path = Path(path)
    trained = load_model(path, None if checkpoint is None else Path(checkpoint), device)
    return Model(trained, path)
