"""The firing-time curve T(x) of the time codes (TTFS, latency), for the Encoding page.

The curve is drawn on a grid of x in [0, 1] with a sample's inputs marked on it; times past
three times the window are cut there so an unbounded T (x just above threshold) stays on the
page. ``app/figures/encoding.py`` draws it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import numpy as np
import torch

from core.encoders.api import EncoderParams
from core.encoders.latency import LatencyParams, latency_times
from core.encoders.ttfs import TTFSParams, ttfs_times

GRID_POINTS = 401


class FiringCurve(NamedTuple):
    """T(x) on a grid, the sample's inputs on it, the threshold and the window's end."""

    grid: np.ndarray
    curve: np.ndarray  # T on the grid, cut at 3 x window
    x: np.ndarray  # the sample's inputs
    marks: np.ndarray  # T of the sample's inputs, cut at 3 x window
    threshold: float
    window: float  # tmax (ms) for TTFS, the last step for latency
    window_label: str  # "tmax" or "last step"


def firing_curve(params: EncoderParams, x: np.ndarray, steps: int) -> FiringCurve:
    """T(x) of the TTFS or latency code ``params`` (latency shown unnormalised)."""
    grid = np.linspace(0.0, 1.0, GRID_POINTS)
    if isinstance(params, TTFSParams):
        curve, marks = ttfs_times(grid, params), ttfs_times(x, params)
        thr, window, label = params.thr, params.tmax, "tmax"
    elif isinstance(params, LatencyParams):
        lat = replace(params, normalize=False)
        curve = latency_times(torch.tensor(grid), lat).numpy()
        marks = latency_times(torch.tensor(x), lat).numpy()
        thr, window, label = params.threshold, float(steps - 1), "last step"
    else:
        raise ValueError(f"No firing-time curve for the {type(params).__name__} code.")
    cut = 3 * window
    return FiringCurve(grid, np.minimum(curve, cut), x, np.minimum(marks, cut), thr, window,
                       label)
