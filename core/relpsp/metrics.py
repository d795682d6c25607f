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

import torch

from core.relpsp.alpha import alpha_slope
from core.relpsp.config import RelpspConfig
from core.relpsp.functional import causal_slope
from core.relpsp.kernels import grad_summary

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
        """One batch's gradient (one compiled pass, ``kernels.grad_summary``; sums in
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
        if name == "conv0":  # evaluate the guard on the patches, as the layer saw them
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
