"""One registry of data sets: each loader module's ``INFO``, collected in one order.

Every list of data sets is read from here: ``dataset_names()`` for all of them,
``dataset_names("surrogate" | "relpsp" | "nas")`` for those a method can use (CLI choices and
the pages' select boxes), ``dataset_names(kinds=("image",))`` for those of some kinds (both
filters together: the NIR simulation's ``dataset_names("surrogate", ("image", "timeseries"))``),
``dataset_info(name)`` for the facts (title, kind, classes, input
shape, sources, per-method defaults). Adding a data set: one loader module that ends with
``INFO = DatasetInfo(...)``, plus its line in ``_MODULES``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import get_args

from core.data import braille, cifar10, digits, fashion_mnist, mnist, shd
from core.data.base import Dataset, Kind
from core.data.download import ProgressFn
from core.data.info import METHODS, DatasetInfo, Loader

# The order of every list: the offline default first.
_MODULES = (digits, fashion_mnist, mnist, shd, braille, cifar10)

DATASET_INFO: dict[str, DatasetInfo] = {m.INFO.name: m.INFO for m in _MODULES}
# name -> loader(data_path, progress=None, download=True)
DATASETS: dict[str, Loader] = {name: info.load for name, info in DATASET_INFO.items()}


def dataset_names(
    method: str | None = None, kinds: Iterable[str] | None = None
) -> tuple[str, ...]:
    """Every data set, or those ``method`` (one of ``METHODS``) can use and/or whose kind is
    one of ``kinds`` (``"image"``, ``"timeseries"``, ``"spikes"``), in registry order."""
    if method is not None and method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}.")
    wanted = None if kinds is None else tuple(kinds)
    unknown = [k for k in wanted or () if k not in get_args(Kind)]
    if unknown:
        raise ValueError(f"Unknown data kind {unknown[0]!r}; choose from "
                         f"{', '.join(get_args(Kind))}.")
    return tuple(n for n, i in DATASET_INFO.items()
                 if (method is None or i.supports(method))
                 and (wanted is None or i.kind in wanted))


def dataset_info(name: str) -> DatasetInfo:
    """The facts of data set ``name``; ValueError naming the choices when it is unknown."""
    if name not in DATASET_INFO:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    return DATASET_INFO[name]


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
    info = dataset_info(name)
    path = Path(data_path).expanduser() if data_path else None
    return info.load(path, progress, download=download)
