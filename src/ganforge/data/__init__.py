"""Datasets: IDX parsing, verified downloads, and locating and loading MNIST-like data."""

from ganforge.data.datasets import DATASETS, DatasetSpec, ImageData, ganforge_home, load_dataset
from ganforge.data.download import RemoteFile, download_file, verify_file
from ganforge.data.idx import read_idx, write_idx

__all__ = [
    "DATASETS",
    "DatasetSpec",
    "ImageData",
    "RemoteFile",
    "download_file",
    "ganforge_home",
    "load_dataset",
    "read_idx",
    "verify_file",
    "write_idx",
]
