"""Default training parameters per data set, taken from the literature.

Each data set's loader declares its surrogate-gradient defaults, with the tutorial they come
from, in ``INFO.defaults["surrogate"]`` (``core.data.digits``, ``fashion_mnist``, ``shd``,
``braille``); the data sets that declare them are the ones this trainer offers.

``default_config(name, **overrides)`` returns the ``TrainConfig``; unknown names are refused.
"""

from __future__ import annotations

from typing import Any

from core.data.registry import DATASET_INFO, dataset_names
from core.training.config import TrainConfig

DEFAULTS: dict[str, dict[str, Any]] = {
    name: DATASET_INFO[name].defaults_for("surrogate") for name in dataset_names("surrogate")
}


def default_config(dataset: str, **overrides: Any) -> TrainConfig:
    """The literature defaults of ``dataset`` with ``overrides`` (None values are ignored)."""
    if dataset not in DEFAULTS:
        raise ValueError(
            f"No training defaults for {dataset!r}; choose one of {', '.join(DEFAULTS)}."
        )
    values = {**DEFAULTS[dataset], **{k: v for k, v in overrides.items() if v is not None}}
    return TrainConfig(dataset=dataset, **values)
