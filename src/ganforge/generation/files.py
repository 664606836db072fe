"""What ``ganforge sample`` and ``ganforge interpolate`` write from a trained generator: grids,
one PNG per image, ``.npy`` arrays, the figures of a grid layout, and latent walks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ganforge.config.layouts import plan_layout
from ganforge.figures.images import grid_image, save_gif, save_grid, save_strip
from ganforge.generation import (
    TrainedModel,
    interpolation_latents,
    layout_samples,
    sample_labels,
)
from ganforge.rundir.atomic import atomic_path, writing
from ganforge.rundir.layout import RunLayout
from ganforge.setup import check_grid_layout


def default_output(run_dir: Path, name: str) -> Path:
    """``RUN_DIR/generated/NAME`` for a run directory, by the path rule (a ``generated``
    that links out of the run is refused: see :class:`RunLayout`), ``./generated/NAME``
    for a file."""
    if Path(run_dir).is_dir():
        return RunLayout(Path(run_dir)).at("generated", name)
    return Path(".") / "generated" / name


def write_samples(
    model: TrainedModel,
    n: int,
    class_: int | None,
    seed: int,
    grid: Path | None = None,
    out: Path | None = None,
    npy: Path | None = None,
) -> list[Path]:
    """``n`` images from latent seed ``seed`` (of class ``class_``, or every class in turn for a
    conditional recipe): a ``grid`` PNG (a column per class when drawn by class, named over
    it), one PNG per
    image into the folder ``out``, and uint8 N×28×28 ``npy`` (+ ``NAME_labels.npy`` if
    conditional). Returns what was written."""
    model.check_class(class_)
    labels = sample_labels(model, n, class_)
    images = model.recipe.sample_images(model.latents(seed, n), labels)
    written: list[Path] = []
    if grid is not None:
        nrow = model.recipe.num_classes if labels is not None and class_ is None else 8
        bounds, names = model.transform.bounds, model.class_names
        written.append(save_grid(images, grid, nrow, bounds, None, labels, names))
    u8 = model.transform.to_uint8(images).cpu().numpy()
    if out is not None:
        with writing(out):
            out.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(u8):
            suffix = f"_class{int(labels[i])}" if labels is not None else ""
            path = out / f"{i:05d}{suffix}.png"
            with writing(path):  # not atomic: an fsync per image would cost seconds
                Image.fromarray(img, mode="L").save(path)
        written.append(out)
    if npy is not None:
        npy = npy if npy.suffix == ".npy" else npy.with_name(npy.name + ".npy")  # as np.save does
        written.append(save_npy(npy, u8))
        if labels is not None:
            label_path = npy.with_name(npy.stem + "_labels.npy")
            written.append(save_npy(label_path, labels.numpy().astype(np.int64)))
    return written


def save_npy(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` to the ``.npy`` file ``path`` atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.save(fh, array, allow_pickle=False)
    return path


def write_layout(model: TrainedModel, layout: str, seed: int, grid: Path) -> list[Path]:
    """The figure(s) of ``layout`` with latents from ``seed``: ``grid``, or for a layout of
    several pages one file per page, named ``grid``'s stem + the page's suffix."""
    check_grid_layout(layout, model.config.recipe)
    classes = model.class_names
    written = []
    for page, images in layout_samples(model.recipe, plan_layout(layout, classes), seed):
        path = grid.with_name(f"{grid.stem}{page.suffix}{grid.suffix}")
        bounds = model.transform.bounds
        written.append(
            save_grid(images, path, page.columns, bounds, page.title, page.labels, classes)
        )
    return written


def write_interpolation(
    model: TrainedModel, from_: int, to: int, steps: int, class_: int | None, out: Path
) -> tuple[Path, Path]:
    """The walk in ``steps`` images from the latent of seed ``from_`` to that of ``to`` (a
    conditional recipe's class held at ``class_``, default 0): a strip PNG ``out`` and beside
    it a looping GIF. Returns (strip, GIF)."""
    model.check_class(class_)
    if model.conditional and class_ is None:
        class_ = 0
    z = interpolation_latents(model, from_, to, steps)
    images = model.recipe.sample_images(z, sample_labels(model, steps, class_))
    strip = save_strip(images, out, model.transform.bounds)
    frames = [grid_image(images[i : i + 1], 1, model.transform.bounds) for i in range(steps)]
    # There and back again, so the looping GIF has no jump.
    gif = save_gif(
        frames + frames[-2:0:-1], out.with_suffix(".gif"), duration_ms=120, final_hold_ms=120
    )
    return strip, gif
