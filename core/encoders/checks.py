"""The input check every encoder shares: a NaN or an infinity never becomes a spike time.

The checks of single values (the codes' parameters) are ``core.checks``'.
"""

from __future__ import annotations

import numpy as np
import torch


def check_finite_inputs(x: np.ndarray | torch.Tensor, code: str) -> None:
    """``ValueError`` (one sentence) when ``x`` holds a NaN or an infinity."""
    finite = torch.isfinite(x).all() if isinstance(x, torch.Tensor) else np.isfinite(x).all()
    if not bool(finite):
        raise ValueError(f"{code} codes need finite inputs (the data hold a nan or an inf); "
                         "clean the data first.")
