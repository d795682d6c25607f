"""Per-layer measurements of a single-spike network: dead neurons, spike times, gradients.

- dead-neuron ratio: the fraction of a layer's neurons that fire on no sample of a batch;
- spike-time histograms on common bins (hidden layers should fire before the output);
- the guard fraction: spikes whose slope V'(t_j) lies below ``min_slope``, where STDBP's bound
  replaces 1 / V'(t_j) (these are the spikes whose exact gradient would explode);
- weight-gradient statistics over an epoch: mean |g|, RMS, max |g|, the fraction of exact zeros
  (weights of dead neurons get none) and a histogram of log10 |g|.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.jit import jit
from core.relpsp.alpha import alpha_slope
from core.relpsp.config import RelpspConfig
from core.relpsp.functional import causal_slope

TIME_BINS = 40
GRAD_EDGES = [float(e) for e in torch.linspace(-9.0, 3.0, 49)]  # log10 |g|


def dead_ratio(times: torch.Tensor) -> float:
    """Fraction of neurons (columns) silent on every sample (row) of the batch."""
    if times.numel() == 0:
        return 0.0
    return float((~torch.isfinite(times)).all(dim=0).float().mean())


def time_histograms(layers: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Histograms of the finite spike times of every layer, on bins shared by all layers."""
    finite = [t[torch.isfinite(t)].double() for t in layers.values()]
    every = torch.cat(finite) if finite else torch.zeros(0, dtype=torch.float64)
    top = float(torch.quantile(every, 0.99)) if every.numel() else 1.0
    top = top if top > 0 else 1.0
    edges = torch.linspace(0.0, top, TIME_BINS + 1, dtype=torch.float64)
    counts = {}
    for name, values in zip(layers, finite, strict=True):
        clipped = values.clamp(max=top)  # the last bin also holds the latest 1 %
        counts[name] = torch.histc(clipped, TIME_BINS, 0.0, top).long().tolist()
    return {"edges": edges.tolist(), "counts": counts}


def guard_fraction(
    t_in: torch.Tensor, weight: torch.Tensor, t_out: torch.Tensor, config: RelpspConfig
) -> float:
    """Fraction of the layer's spikes whose slope is below ``min_slope`` (gradient bounded)."""
    if config.bias_spike:
        t_in = torch.cat([torch.zeros_like(t_in[:, :1]), t_in], dim=1)
    if config.psp == "alpha":
        slope = alpha_slope(t_in, weight, t_out, config.tau)
    else:
        slope = causal_slope(t_in, weight, t_out)
    fired = torch.isfinite(t_out)
    if not fired.any():
        return 0.0
    return float((slope[fired] < config.min_slope).float().mean())


@jit()
def _grad_pass(g, bits, mask, mant, base, above, hist):  # pragma: no cover - JIT
    """One pass over gradients ``g``: sum |g|, sum g^2, max |g|, exact zeros (float64), and
    ``hist`` += the log10 |g| bin of every nonzero value (see ``grad_summary``)."""
    s1 = 0.0
    s2 = 0.0
    top = 0.0
    zeros = 0
    last = hist.shape[0] - 1
    for n in range(g.shape[0]):
        x = abs(np.float64(g[n]))
        s1 += x
        s2 += x * x
        top = max(top, x)
        u = np.int64(bits[n]) & mask  # |g|'s bit pattern: ordered as |g| is
        if u == 0:
            zeros += 1
        elif x == x:
            e = u >> mant
            hist[min(base[e] + (u >= above[e, 0]) + (u >= above[e, 1]), last)] += 1
    return s1, s2, top, zeros


_FLOAT_BITS = {  # dtype -> (NumPy float, same-size int, mantissa bits)
    torch.float32: (np.float32, np.int32, 23),
    torch.float64: (np.float64, np.int64, 52),
}
_TABLES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _bin_tables(dtype: torch.dtype, edges: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per exponent E of ``dtype``: the bin of the smallest value with exponent E, and the bit
    patterns of the (at most two, as 10^0.25 steps are finer than 2) interior edges 10^edge
    among the values with exponent E (int64 max where fewer)."""
    key = (dtype, edges)
    if key not in _TABLES:
        np_float, np_int, mant = _FLOAT_BITS[dtype]
        inner = (10.0 ** np.asarray(edges[1:-1])).astype(np_float).view(np_int).astype(np.int64)
        first = np.arange(1 << (8 * np.dtype(np_float).itemsize - 1 - mant), dtype=np.int64)
        first <<= mant
        base = np.searchsorted(inner, first, side="right").astype(np.int64)
        above = np.full((len(first), 2), np.iinfo(np.int64).max, dtype=np.int64)
        ends = np.append(first[1:], np.iinfo(np.int64).max)  # each exponent's end
        for e, b in enumerate(base):
            inside = inner[b : b + 2][inner[b : b + 2] < ends[e]]
            above[e, : len(inside)] = inside
        _TABLES[key] = (base, above)
    return _TABLES[key]


def grad_summary(
    grad: torch.Tensor, edges: tuple[float, ...]
) -> tuple[float, float, float, int, np.ndarray]:
    """(sum |g|, sum g^2, max |g|, exact zeros, histogram) of a gradient in one pass.

    The histogram counts the nonzero |g| per bin of log10 |g| between ``edges`` (equally
    spaced, steps under log10(2)); values below the first edge count in the first bin, above
    the last in the last. Bins come from |g|'s bit pattern compared with the edges', no
    logarithm taken (float32 and float64).
    """
    dtype = grad.dtype if grad.dtype in _FLOAT_BITS else torch.float64
    g = grad.detach().to(dtype).contiguous().view(-1).numpy()
    np_int, mant = _FLOAT_BITS[dtype][1:]
    base, above = _bin_tables(dtype, tuple(edges))
    mask = np.int64((1 << (8 * g.itemsize - 1)) - 1)
    hist = np.zeros(len(edges) - 1, dtype=np.int64)
    s1, s2, top, zeros = _grad_pass(g, g.view(np_int), mask, mant, base, above, hist)
    return s1, s2, top, zeros, hist


@dataclass
class GradStats:
    """Accumulates weight-gradient statistics of one layer over the batches of an epoch."""

    abs_sum: float = 0.0
    sq_sum: float = 0.0
    max_abs: float = 0.0
    zeros: int = 0
    count: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * (len(GRAD_EDGES) - 1))

    def add(self, grad: torch.Tensor) -> None:
        """One batch's gradient (one compiled pass, ``grad_summary``; sums in
        float64)."""
        if not grad.numel():
            return
        abs_sum, sq_sum, max_abs, zeros, counts = grad_summary(grad, tuple(GRAD_EDGES))
        self.abs_sum += abs_sum
        self.sq_sum += sq_sum
        self.max_abs = max(self.max_abs, max_abs)
        self.zeros += zeros
        self.count += int(grad.numel())
        self.hist = [a + int(b) for a, b in zip(self.hist, counts, strict=True)]

    def summary(self) -> dict[str, float]:
        n = max(self.count, 1)
        return {
            "grad_mean_abs": self.abs_sum / n,
            "grad_rms": math.sqrt(self.sq_sum / n),
            "grad_max_abs": self.max_abs,
            "grad_zero_fraction": self.zeros / n,
        }


def layer_report(
    names: list[str],
    layers: list[torch.Tensor],
    inputs: list[torch.Tensor],
    params: dict[str, torch.Tensor],
    grads: dict[str, GradStats],
    config: RelpspConfig,
) -> dict[str, dict[str, float]]:
    """Per-layer numbers of one epoch, from the evaluation batch and the epoch's gradients."""
    out: dict[str, dict[str, float]] = {}
    for name, t_out, t_in in zip(names, layers, inputs, strict=True):
        fired = torch.isfinite(t_out)
        w = params[name]
        if name.startswith("conv"):  # the guard would need the patches the layer saw
            guard = float("nan")
        else:
            guard = guard_fraction(t_in, w, t_out, config)
        out[name] = {
            "dead_ratio": dead_ratio(t_out),
            "silent_fraction": float((~fired).float().mean()),
            "mean_time": float(t_out[fired].mean()) if fired.any() else float("nan"),
            "guard_fraction": guard,
            **grads[name].summary(),
        }
    return out
