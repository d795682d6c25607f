"""Data sets behind one registry: ``load_dataset(name)`` returns a ``Dataset``."""

from core.data.base import Dataset, DataUnavailable
from core.data.registry import DATASETS, load_dataset

__all__ = ["DATASETS", "DataUnavailable", "Dataset", "load_dataset"]
