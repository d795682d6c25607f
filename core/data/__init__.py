"""Data sets behind one registry: ``load_dataset(name)`` returns a ``Dataset``."""

from core.data.base import Dataset, DataUnavailable
from core.data.info import DatasetInfo
from core.data.registry import DATASET_INFO, DATASETS, dataset_info, dataset_names, load_dataset

__all__ = [
    "DATASETS", "DATASET_INFO", "DataUnavailable", "Dataset", "DatasetInfo", "dataset_info",
    "dataset_names", "load_dataset",
]
