"""One registry of data sets: name -> loader, plus what the pages and the CLI say about each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.data.base import Dataset
from core.data.download import ProgressFn


@dataclass(frozen=True)
class DatasetInfo:
    """What a data set is, before loading it."""

    title: str
    kind: str
    offline: bool  # True when it needs no download
    description: str


# Loaders import their modules on first use, so listing the registry stays cheap.
def _digits(
    data_path: Path | None, progress: ProgressFn | None = None, download: bool = True
) -> Dataset:
    from core.data.digits import load_digits

    return load_digits()


def _braille(
    data_path: Path | None, progress: ProgressFn | None = None, download: bool = True
) -> Dataset:
    from core.data.braille import load_braille

    return load_braille(data_path, progress, download=download)


def _fashion_mnist(
    data_path: Path | None, progress: ProgressFn | None = None, download: bool = True
) -> Dataset:
    from core.data.fashion_mnist import load_fashion_mnist

    return load_fashion_mnist(data_path, progress, download=download)


def _shd(
    data_path: Path | None, progress: ProgressFn | None = None, download: bool = True
) -> Dataset:
    from core.data.shd import load_shd

    return load_shd(data_path, progress, download=download)


def _cifar10(
    data_path: Path | None, progress: ProgressFn | None = None, download: bool = True
) -> Dataset:
    from core.data.cifar10 import load_cifar10

    return load_cifar10(data_path, progress, download=download)


# name -> loader(data_path, progress=None, download=True); loaders raise DataUnavailable with
# a message a user can act on.
DATASETS: dict[str, Callable[..., Dataset]] = {
    "digits": _digits,
    "braille": _braille,
    "fashion-mnist": _fashion_mnist,
    "shd": _shd,
    "cifar10": _cifar10,
}

DATASET_INFO: dict[str, DatasetInfo] = {
    "digits": DatasetInfo(
        "8x8 handwritten digits", "image", True,
        "scikit-learn's bundled digits: 1,797 images, 10 classes. Works offline.",
    ),
    "braille": DatasetInfo(
        "Tactile Braille letters", "timeseries", False,
        "27 letters x 50 repetitions read by 12 taxels (Müller-Cleve et al. 2022), "
        "the SpyTorch tutorial 5 file (300 kB).",
    ),
    "fashion-mnist": DatasetInfo(
        "Fashion-MNIST", "image", False,
        "70,000 28x28 grey images of clothes in 10 classes (Xiao et al. 2017); "
        "four IDX files, 31 MB.",
    ),
    "shd": DatasetInfo(
        "Spiking Heidelberg Digits", "spikes", False,
        "Spoken digits 0-9 in English and German as spikes of 700 cochlear channels "
        "(Cramer et al. 2022), binned to 100 steps over 1.4 s; two gzip'd HDF5 files.",
    ),
    "cifar10": DatasetInfo(
        "CIFAR-10", "image", False,
        "60,000 32x32 colour images in 10 classes (Krizhevsky 2009); python archive, 170 MB.",
    ),
}


def load_dataset(
    name: str,
    data_path: str | Path | None = None,
    progress: ProgressFn | None = None,
    download: bool = True,
) -> Dataset:
    """Load a data set by name; ``data_path`` points at a local copy where supported.

    With ``download=False`` a file missing from the cache raises ``DataUnavailable`` instead of
    being fetched.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    path = Path(data_path).expanduser() if data_path else None
    return DATASETS[name](path, progress, download=download)
