"""Time-to-first-spike (TTFS) coding: a stronger input fires earlier.

An input x in [0, 1] charges a non-leaky-input LIF membrane with time constant ``tau`` toward x;
it reaches the threshold ``thr`` at

    T(x) = min(tau * ln(x / (x - thr)), tmax)   for x >= thr,      T(x) = tmax otherwise,

(SpyTorch tutorials and F. Zenke's surrogate-gradient thesis, figure 5; see also
Zenke & Vogels 2021, Neural Computation 33(4)). ``x - thr`` is clipped to at least ``eps`` so an
input exactly at threshold gets a large but finite time, and no input fires later than a
silent one (so a brighter input never fires later). On a grid of ``nb_steps`` steps of
``dt`` the input spikes once, at step floor(T / dt), if that step is inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch

from core.checks import check_positive, check_probability, check_whole
from core.encoders.checks import check_finite_inputs

ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


@dataclass(frozen=True)
class TTFSParams:
    """Parameters of the TTFS code (times in the same unit as ``dt``, usually ms)."""

    tau: float = 20.0
    thr: float = 0.2
    tmax: float = 100.0
    eps: float = 1e-7

    def __post_init__(self) -> None:
        check_positive("The TTFS time constant tau", self.tau)
        check_probability("The TTFS threshold thr", self.thr, zero=False, one=False,
                          hint="the input range")
        check_positive("tmax, the time given to sub-threshold inputs,", self.tmax)
        check_positive("eps", self.eps)
        if not self.eps < self.thr:
            raise ValueError(f"eps must be positive and smaller than thr (got {self.eps}).")


def ttfs_times(x: ArrayT, params: TTFSParams = TTFSParams()) -> ArrayT:
    """Firing time per input, same type and shape as ``x`` (numpy array or torch tensor)."""
    check_finite_inputs(x, "TTFS")
    if isinstance(x, torch.Tensor):
        xf = x if x.is_floating_point() else x.float()
        above = xf >= params.thr
        safe = torch.where(above, xf, torch.ones_like(xf))
        gap = torch.clamp(safe - params.thr, min=params.eps)
        t = torch.clamp_max(params.tau * torch.log(safe / gap), params.tmax)
        return torch.where(above, t, torch.full_like(xf, params.tmax))
    arr = np.asarray(x)
    xf = arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)
    above = xf >= params.thr
    safe = np.where(above, xf, 1.0)
    gap = np.maximum(safe - params.thr, params.eps)
    t = np.minimum(params.tau * np.log(safe / gap), params.tmax)
    return np.where(above, t, params.tmax).astype(xf.dtype, copy=False)


def ttfs_spikes(
    x: torch.Tensor,
    nb_steps: int,
    params: TTFSParams = TTFSParams(),
    dt: float = 1.0,
) -> torch.Tensor:
    """Spike tensor [nb_steps, batch, inputs] (float32) with one spike at floor(T / dt).

    ``x`` is [batch, inputs] in [0, 1]. An input whose step is >= ``nb_steps`` does not spike.
    """
    if x.dim() != 2:
        raise ValueError(f"TTFS expects inputs shaped [batch, inputs] (got {tuple(x.shape)}).")
    check_whole("nb_steps", nb_steps, 1)
    if not dt > 0:
        raise ValueError(f"The time step dt must be positive (got {dt}).")
    times = ttfs_times(x.detach().to(torch.float64), params)
    steps = torch.floor(times / dt).long()
    grid = torch.arange(int(nb_steps), device=x.device).view(-1, 1, 1)
    return (grid == steps.unsqueeze(0)).to(torch.float32)
