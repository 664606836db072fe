"""Using a trained model: load a run's generator safely, sample from it, interpolate.

Everything is read from the checkpoint alone (its metadata holds the config), so a single
``.safetensors`` file is enough to share a model; an exported model folder (``ganforge
export``, see :mod:`.export_config`) loads the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from ganforge.config import RunConfig
from ganforge.config.layouts import GridLayout, GridPage
from ganforge.data import DATASETS
from ganforge.data.batches import ImageTransform
from ganforge.errors import CheckpointError, ConfigError
from ganforge.generation.export_config import WEIGHTS_NAME, is_export, load_export
from ganforge.models import Recipe
from ganforge.rundir.checkpoint import has_standing_stats, load_checkpoint, recipe_modules
from ganforge.rundir.checkpoint_checks import check_module_tensors
from ganforge.rundir.layout import RunLayout
from ganforge.setup.build import build_recipe, config_from_dict, resolve_device

CLASSES_LISTED = 10  # class names an error lists before "…"


@dataclass
class TrainedModel:
    """A generator ready to sample: its recipe (G in eval mode), config and data transform."""

    recipe: Recipe
    config: RunConfig
    transform: ImageTransform
    checkpoint: Path
    data_class_names: tuple[str, ...] = ()  # the training data's, as the checkpoint records

    @property
    def conditional(self) -> bool:
        return self.recipe.conditional

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """The names of the classes a conditional recipe draws: its training data's (as the
        checkpoint records them, else its dataset's), or 0..K-1 where their number differs
        from the recipe's; None for an unconditional one."""
        if not self.conditional:
            return None
        return run_class_names(self.config.dataset, self.recipe.num_classes, self.data_class_names)

    @torch.no_grad()
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Images from the sampling generator (the weight average if the run kept one), in the
        recipe's range, at its training resolution."""
        device = self.recipe.device
        labels = None if labels is None else labels.to(device)
        return self.recipe.generate(z.to(device), labels, self.recipe.sampler)

    def latents(self, seed: int, n: int) -> Tensor:
        """``n`` latents from ``seed``: the same seed gives the same digits on any device."""
        return self.recipe.sample_latent(n, generator=torch.Generator().manual_seed(seed))

    def check_class(self, cls: int | None) -> None:
        """Refuse a class index ``cls`` this model cannot draw, in one line."""
        if cls is None:
            return
        if not self.conditional:
            raise ConfigError(
                f"recipe {self.config.recipe!r} is not conditional: --class is not available"
            )
        if not 0 <= cls < self.recipe.num_classes:
            raise ConfigError(self._class_expected(cls))

    def class_index(self, value: str | None) -> int | None:
        """The class ``value`` (``--class``) stands for: one of :attr:`class_names` exactly,
        else the one it matches whatever the case, else an index 0..K-1; anything else is a
        one-line :class:`ConfigError` listing the names. None stays None (every class)."""
        if value is None:
            return None
        self.check_class(0)  # an unconditional recipe takes no class
        names = self.class_names or ()
        if value in names:
            return names.index(value)
        folded = [i for i, name in enumerate(names) if name.casefold() == value.casefold()]
        if len(folded) > 1:
            several = ", ".join(names[i] for i in folded)
            raise ConfigError(
                f"--class {value!r} matches {several} (they differ only in case); "
                "give one exactly, or its index"
            )
        if folded:
            return folded[0]
        if re.fullmatch(r"\d{1,9}", value) and int(value) < self.recipe.num_classes:
            return int(value)
        raise ConfigError(self._class_expected(value))

    def _class_expected(self, got: str | int) -> str:
        k, names = self.recipe.num_classes, list(self.class_names or ())
        shown = ", ".join(names[:CLASSES_LISTED]) + (", …" if k > CLASSES_LISTED else "")
        return f"--class must be in 0..{k - 1} or a class name ({shown}), got {got!r}"


def run_class_names(
    dataset: str, num_classes: int, recorded: Sequence[str] = ()
) -> tuple[str, ...]:
    """The names of a conditional run's ``num_classes`` classes: its training data's, as its
    checkpoint records them (``recorded``: a class folder's names, say), else its dataset's;
    0..K-1 where their number is not K."""
    spec = DATASETS.get(dataset)
    names = tuple(recorded) or (spec.class_names if spec is not None else ())
    k = num_classes
    return names if len(names) == k else tuple(str(c) for c in range(k))


def resolve_checkpoint(path: Path, checkpoint: Path | None = None) -> Path:
    """A run directory (its last checkpoint) or a checkpoint file."""
    if checkpoint is not None:
        return Path(checkpoint)
    path = Path(path)
    if path.is_dir():
        last = RunLayout(path).last_checkpoint
        if not last.exists():
            raise CheckpointError(f"{path} has no checkpoint ({last} is missing); was it trained?")
        return last
    return path


def load_model(path: Path, checkpoint: Path | None = None, device: str = "cpu") -> TrainedModel:
    """Load G from a run directory, a checkpoint file or an exported model folder
    (``ganforge export``), with safetensors only (no pickle), every tensor checked."""
    if checkpoint is None and is_export(path):
        return _load_exported(Path(path), device)
    ckpt = load_checkpoint(resolve_checkpoint(path, checkpoint))
    cfg = config_from_dict(ckpt.config)
    recipe = build_recipe(cfg, int(ckpt.meta.get("num_classes") or 10), "cpu")
    try:  # G, and its weight average where the recipe keeps one: samples come from that
        for prefix, net in recipe_modules(recipe, "sample").items():
            state = ckpt.module_state(prefix)
            if not state:
                raise CheckpointError(f"{ckpt.path} holds no {prefix} weights")
            check_module_tensors(ckpt.path, prefix, net, state, ckpt.recipe)
            net.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f"{ckpt.path}: generator weights do not fit the recipe: {first}"
        ) from None
    if recipe.ema is not None:
        recipe.ema.stale = not has_standing_stats(ckpt)
    recipe.to(resolve_device(device))
    recipe.generator.eval()
    recipe.sampler.eval()
    transform = ImageTransform(cfg.model.data_range, cfg.model.resolution)
    names = tuple(ckpt.meta.get("class_names") or ())
    return TrainedModel(recipe, cfg, transform, ckpt.path, names)


def _load_exported(folder: Path, device: str) -> TrainedModel:
    """An exported model folder as a :class:`TrainedModel` (see :mod:`.export_config`)."""
    cfg, recipe, record = load_export(folder)
    recipe.to(resolve_device(device))
    recipe.generator.eval()
    recipe.sampler.eval()
    transform = ImageTransform(cfg.model.data_range, cfg.model.resolution)
    names = tuple(record.class_names or ())
    return TrainedModel(recipe, cfg, transform, folder / WEIGHTS_NAME, names)


def sample_labels(model: TrainedModel, n: int, cls: int | None) -> Tensor | None:
    """Labels for ``n`` samples: all ``cls``, or cycling 0..K-1 (a K-wide grid: column = class)."""
    if not model.conditional:
        return None
    if cls is not None:
        return torch.full((n,), cls, dtype=torch.long)
    return torch.arange(n) % model.recipe.num_classes


def layout_samples(recipe: Recipe, layout: GridLayout, seed: int) -> list[tuple[GridPage, Tensor]]:
    """Each page of ``layout`` with its images from the recipe's sampler (the weight average
    if it keeps one); the latents come from ``seed`` on a CPU generator, so the same seed
    draws the same figure on any device."""
    z = recipe.sample_latent(layout.num_latents, generator=torch.Generator().manual_seed(seed))
    pages = []
    for page in layout.pages:
        labels = None if page.labels is None else torch.tensor(page.labels, dtype=torch.long)
        pages.append((page, recipe.sample_images(z[list(page.latents)], labels)))
    return pages


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation between latent rows ``a`` and ``b`` at fractions ``t``.

    For Gaussian latents, linear interpolation passes through low-norm points the generator
    never saw in training; slerp keeps the norm typical (White 2016).
    """
    a_n = a / a.norm(dim=-1, keepdim=True)
    b_n = b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((a_n * b_n).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = t.unsqueeze(-1)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def interpolation_latents(model: TrainedModel, seed_from: int, seed_to: int, steps: int) -> Tensor:
    """``steps`` latents from seed A's to seed B's: slerp for Gaussian, lerp for uniform."""
    a, b = model.latents(seed_from, 1), model.latents(seed_to, 1)
    t = torch.linspace(0, 1, steps)
    if model.config.model.latent_distribution == "uniform":
        return a + (b - a) * t.unsqueeze(-1)
    return slerp(a.expand(steps, -1), b.expand(steps, -1), t)


def class_interpolation(
    model: TrainedModel, seed: int, class_from: int, class_to: int, steps: int
) -> Tensor:
    """``steps`` images of seed's latent as its class moves from ``class_from`` to ``class_to``:
    G's class embedding mixed linearly between the two classes' (the latent is held fixed).

    Only for generators that take a class embedding directly (``acgan``'s); other recipes'
    classes enter G in ways a mix has no meaning for, and are refused.
    """
    net = model.recipe.sampler
    if not (hasattr(net, "class_embedding") and hasattr(net, "from_embedding")):
        raise ConfigError(
            f"recipe {model.config.recipe!r} cannot morph between classes; "
            "interpolate between two seeds instead"
        )
    for cls in (class_from, class_to):
        model.check_class(cls)
    device = model.recipe.device
    z = model.latents(seed, 1).expand(steps, -1).to(device)
    t = torch.linspace(0, 1, steps, device=device).unsqueeze(-1)
    was_training = net.training
    net.eval()  # as sample_images: batch-norm running statistics, no dropout
    try:
        with torch.no_grad():
            ends = net.class_embedding(torch.tensor([class_from, class_to], device=device))
            return net.from_embedding(z, ends[0] + (ends[1] - ends[0]) * t)
    finally:
        net.train(was_training)
