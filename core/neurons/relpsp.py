"""Rectified-linear post-synaptic potential (ReL-PSP) neurons, and the alpha-PSP to compare.

Zhang, Wang, Wu, Chua, Bellotto, Li: "Rectified Linear Postsynaptic Potential Function for
Backpropagation in Deep Spiking Neural Networks", IEEE TNNLS 33(5), 2022.

A ReL-PSP neuron has no leak and fires once, when

    V(t) = sum_i w_i * max(0, t - t_i)

reaches theta. Between consecutive input times V is linear, so with the inputs sorted by time
and C the causal set of the first k inputs, the crossing is

    t_out = (theta + sum_C w_i t_i) / sum_C w_i,

valid when sum_C w_i > 0 and t_out is no later than the next input. The first valid prefix
gives the spike; with none the neuron stays silent (reported as ``inf`` / ``None``).

An alpha-PSP neuron integrates K(t) = (t / tau) * exp(1 - t / tau), which peaks at 1: with
small weights its potential stays below theta for ever (a dead neuron), while a ReL-PSP
neuron with positive net weight always fires, only later.
"""

from __future__ import annotations

import math

import numpy as np


def relpsp_kernel(t: np.ndarray) -> np.ndarray:
    """ReL-PSP kernel max(0, t)."""
    return np.maximum(0.0, np.asarray(t, dtype=np.float64))


def alpha_kernel(t: np.ndarray, tau: float = 1.0) -> np.ndarray:
    """Alpha-PSP kernel (t / tau) * exp(1 - t / tau) for t > 0, peak 1 at t = tau."""
    t = np.asarray(t, dtype=np.float64)
    s = np.maximum(t, 0.0) / tau
    return np.where(t > 0, s * np.exp(1.0 - s), 0.0)


def potential(
    t_grid: np.ndarray,
    times: np.ndarray,
    weights: np.ndarray,
    kernel: str = "relpsp",
    tau: float = 1.0,
) -> np.ndarray:
    """V(t) on ``t_grid`` for one neuron with input spike ``times`` and ``weights``."""
    lag = np.asarray(t_grid, dtype=np.float64)[:, None] - np.asarray(times, dtype=np.float64)
    k = relpsp_kernel(lag) if kernel == "relpsp" else alpha_kernel(lag, tau)
    return k @ np.asarray(weights, dtype=np.float64)


def first_spike_time(times: np.ndarray, weights: np.ndarray, theta: float) -> np.ndarray:
    """Exact ReL-PSP output spike times, vectorised over leading axes.

    Args:
        times: input spike times, shape [..., n] (``inf`` for an input that never spikes).
        weights: synaptic weights broadcastable to ``times``.
        theta: firing threshold (> 0).

    Returns:
        Output spike times, shape [...]; ``inf`` where the neuron never fires.
    """
    if not theta > 0:
        raise ValueError(f"The threshold theta must be greater than 0 (got {theta}).")
    times, weights = np.broadcast_arrays(
        np.asarray(times, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    )
    order = np.argsort(times, axis=-1, kind="stable")
    t_sorted = np.take_along_axis(times, order, axis=-1)
    w_sorted = np.where(np.isfinite(t_sorted), np.take_along_axis(weights, order, axis=-1), 0.0)
    w_cum = np.cumsum(w_sorted, axis=-1)
    wt_cum = np.cumsum(w_sorted * np.where(np.isfinite(t_sorted), t_sorted, 0.0), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_out = (theta + wt_cum) / w_cum
    t_next = np.concatenate([t_sorted[..., 1:], np.full(t_sorted.shape[:-1] + (1,), np.inf)], -1)
    valid = (w_cum > 0) & np.isfinite(t_sorted) & (t_out >= t_sorted) & (t_out <= t_next)
    first = np.argmax(valid, axis=-1)
    chosen = np.take_along_axis(t_out, first[..., None], axis=-1)[..., 0]
    return np.where(valid.any(axis=-1), chosen, np.inf)


def spike_time(times: list[float], weights: list[float], theta: float) -> float | None:
    """Spike time of one ReL-PSP neuron, or ``None`` when it never fires."""
    if len(times) != len(weights):
        raise ValueError(
            f"Give one weight per spike time ({len(times)} times, {len(weights)} weights)."
        )
    if not all(math.isfinite(v) for v in (*times, *weights, theta)):
        raise ValueError("Spike times, weights and the threshold must be finite numbers "
                         "(no nan or inf).")
    if not times:
        return None
    result = float(first_spike_time(np.asarray(times), np.asarray(weights), theta))
    return result if np.isfinite(result) else None


def grid_spike_time(
    times: np.ndarray,
    weights: np.ndarray,
    theta: float,
    t_max: float,
    resolution: float = 1e-3,
    kernel: str = "relpsp",
    tau: float = 1.0,
) -> float | None:
    """First time V(t) >= theta on a fine grid (linear interpolation between grid points).

    The brute-force reference for the exact ReL-PSP time, and the only way to time an
    alpha-PSP neuron. ``None`` when V stays below theta up to ``t_max``.
    """
    grid = np.arange(0.0, t_max + resolution, resolution)
    v = potential(grid, times, weights, kernel, tau)
    above = np.nonzero(v >= theta)[0]
    if above.size == 0:
        return None
    i = int(above[0])
    if i == 0:
        return float(grid[0])
    v0, v1 = v[i - 1], v[i]
    return float(grid[i - 1] + resolution * (theta - v0) / (v1 - v0))
