"""Datasets: IDX parsing, verified downloads, locating and loading MNIST-like data, and the
subset of a training split that a run with ``--data-limit`` trains on."""

from ganforge.data.datasets import (
    DATASET_ALIASES,
    DATASETS,
    DatasetSpec,
    ImageData,
    dataset_choices,
    dataset_name,
)
from ganforge.data.download import RemoteFile, download_file, verify_file
from ganforge.data.idx import read_idx, write_idx
from ganforge.data.loading import ganforge_home, load_dataset
from ganforge.data.source import CUSTOM, HOLDOUT, HOLDOUT_MAX, DataSource
from ganforge.data.subset import SUBSET_SEED, DataLimit, training_subset
from ganforge.data.user_data import load_user_data

__all__ = [
    "CUSTOM",
    "DATASETS",
    "DATASET_ALIASES",
    "HOLDOUT",
    "HOLDOUT_MAX",
    "SUBSET_SEED",
    "DataLimit",
    "DataSource",
    "DatasetSpec",
    "ImageData",
    "RemoteFile",
    "dataset_choices",
    "dataset_name",
    "download_file",
    "ganforge_home",
    "load_dataset",
    "load_user_data",
    "read_idx",
    "training_subset",
    "verify_file",
    "write_idx",
]
