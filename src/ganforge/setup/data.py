"""From a run config to its real images: where they come from (:func:`data_source`), the
config keys that name them (:func:`source_config`), and a run's training images
(:func:`training_data`: the training split, or the subset of it that ``--data-limit`` asks
for)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganforge.config import RunConfig
from ganforge.config.schema import CUSTOM_DATASET
from ganforge.data import DataLimit, DataSource, ImageData, training_subset
from ganforge.errors import DataError
from ganforge.models import get_recipe


def data_source(cfg: RunConfig, data_dir: Path | None = None) -> DataSource:
    """Where ``cfg``'s real images come from: its known dataset (files from ``data_dir``,
    see :func:`~ganforge.data.load_dataset`), or the user's own ``data`` with its
    ``test_data`` or ``holdout``; with the training subset it asks for, if any."""
    subset = DataLimit(cfg.data_limit, cfg.data_fraction, cfg.data_limit_seed)
    if cfg.data is None:
        return DataSource(cfg.dataset, None if data_dir is None else Path(data_dir), subset=subset)
    test = Path(cfg.test_data) if cfg.test_data is not None else None
    return DataSource(CUSTOM_DATASET, None, Path(cfg.data), test, cfg.holdout, subset)


def source_config(dataset: str | DataSource) -> dict[str, Any]:
    """The top-level config keys (as :func:`make_config` takes them) of ``dataset``: a known
    dataset's name, or the user's own data: its path (made absolute), its ``test_data`` if
    it has one, and its ``holdout``; and the training subset's keys if it asks for one. The
    inverse of :func:`data_source`."""
    source = DataSource.of(dataset)
    subset = source.subset
    keys: dict[str, Any] = {}
    if subset.given:
        keys = {"data_limit": subset.limit, "data_fraction": subset.fraction}
        keys = {k: v for k, v in keys.items() if v is not None} | {"data_limit_seed": subset.seed}
    if not source.custom:
        return {"dataset": source.dataset, **keys}
    keys |= {"data": _absolute(source.data), "holdout": float(source.holdout)}
    if source.test_data is not None:
        keys["test_data"] = _absolute(source.test_data)
    return keys


def _absolute(path: Path | None) -> str:
    return str(Path(str(path)).expanduser().absolute())


def training_data(
    cfg: RunConfig, data_dir: Path | None, resume: bool = False, data: ImageData | None = None
) -> tuple[ImageData, dict[str, dict[str, Any] | None]]:
    """The images ``cfg`` trains on: its training split (see :func:`training_split`), or the
    seeded subset of it that ``data_limit`` or ``data_fraction`` asks for (see
    :func:`~ganforge.data.training_subset`); and what ``summary.json`` keeps of them:
    ``data_split``, the test split's record (None for a known dataset), and ``data_subset``,
    the subset's (None without one). ``data``: the whole training split already loaded (a
    study's, once for all its runs)."""
    source = data_source(cfg, data_dir)
    if data is None:
        data, record = training_split(cfg, data_dir, resume)
    else:
        record = source.record()
    subset, kept = training_subset(data, source.subset)
    return subset, {"data_split": record, "data_subset": kept}


def training_split(
    cfg: RunConfig, data_dir: Path | None, resume: bool = False
) -> tuple[ImageData, dict[str, Any] | None]:
    """The whole training split of ``cfg`` (see :func:`data_source`; the user's own data
    less its test split, which is read and checked too), which a conditional recipe needs
    labelled, and what ``summary.json`` keeps of the test split (None for a known
    dataset). On a resume, data that is gone is named in one line."""
    source = data_source(cfg, data_dir)
    for flag, path in (("--data", source.data), ("--test-data", source.test_data)):
        if resume and path is not None and not path.exists():
            raise DataError(
                f"{path}, the data this run was trained on, is gone; pass {flag} PATH to the "
                "same images (their fingerprint is checked)"
            )
    if source.custom:
        data, _, record = source.splits()
    else:
        data, record = source.load("train"), None
    if get_recipe(cfg.recipe).conditional and not data.labelled:
        raise DataError(
            f"{cfg.data} is unlabelled; recipe {cfg.recipe!r} is conditional: it needs class "
            "sub-folders (or an .npz with labels)"
        )
    return data, record
