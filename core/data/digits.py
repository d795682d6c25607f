"""scikit-learn's bundled 8x8 handwritten digits: the offline default (1,797 images, 10 classes).

The file ships inside scikit-learn, so this loader needs no network and no cache.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits as _sk_load_digits
from sklearn.model_selection import train_test_split

from core.data.base import Dataset


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Digits scaled to [0, 1] (pixel / 16), split stratified and seeded."""
    bunch = _sk_load_digits()
    x = (bunch.images / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    return Dataset(
        name="digits",
        kind="image",
        x_train=x_tr,
        y_train=y_tr,
        x_test=x_te,
        y_test=y_te,
        classes=tuple(str(d) for d in range(10)),
        source="bundled with scikit-learn",
    )
