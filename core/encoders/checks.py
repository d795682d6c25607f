"""The input check every encoder shares: a NaN or an infinity never becomes a spike time."""

from __future__ import annotations

import math

import numpy as np
import torch


def check_finite(x: np.ndarray | torch.Tensor, code: str) -> None:
    """``ValueError`` (one sentence) when ``x`` holds a NaN or an infinity."""
    finite = torch.isfinite(x).all() if isinstance(x, torch.Tensor) else np.isfinite(x).all()
    if not bool(finite):
        raise ValueError(f"{code} codes need finite inputs (the data hold a nan or an inf); "
                         "clean the data first.")


def is_whole(value: object) -> bool:
    """True for a whole number (an int, or a float such as 2.0); never for bool, NaN or inf."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or (math.isfinite(value) and value == int(value))
