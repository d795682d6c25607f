"""The ``Dataset`` every loader returns, and the error raised when data cannot be had."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Kind = Literal["image", "timeseries", "spikes"]


class DataUnavailable(Exception):
    """The data cannot be had (no network, checksum mismatch, corrupt or missing file).

    The message says what happened and what to do; callers show it instead of a traceback.
    """


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train/test arrays and class names of one data set.

    Shapes by ``kind``: ``image`` -> x [N, H, W] or [N, C, H, W], floats in [0, 1];
    ``timeseries`` -> x [N, T, channels], floats; ``spikes`` -> x [N, T, channels], counts per
    time bin (uint8). Labels are int64 class indices into ``classes``.
    """

    name: str
    kind: Kind
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    source: str
    dt_ms: float | None = None
    location: str | None = None  # the verified file (or folder) it was read from, if any

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def summary(self) -> dict[str, object]:
        """Sizes and shapes for the command line and the pages."""
        return {
            "dataset": self.name,
            "kind": self.kind,
            "train_size": int(self.x_train.shape[0]),
            "test_size": int(self.x_test.shape[0]),
            "num_classes": self.num_classes,
            "classes": list(self.classes),
            "input_shape": list(self.input_shape),
            "source": self.source,
            "location": self.location,
        }
