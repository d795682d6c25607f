"""One registry of data sets: name -> loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.data.base import Dataset
from core.data.digits import load_digits


def _digits(data_path: Path | None) -> Dataset:
    return load_digits()


# name -> loader(data_path); loaders raise DataUnavailable with a message a user can act on.
DATASETS: dict[str, Callable[[Path | None], Dataset]] = {
    "digits": _digits,
}


def load_dataset(name: str, data_path: str | Path | None = None) -> Dataset:
    """Load a data set by name; ``data_path`` points at a local copy where supported."""
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    return DATASETS[name](Path(data_path) if data_path else None)
