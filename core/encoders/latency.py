"""Latency codes as in ``snntorch.spikegen.latency`` (logarithmic and linear), vectorised.

Logarithmic (an RC circuit charging toward x crosses ``threshold`` at)
    T(x) = tau * ln(x / (x - threshold)),  x clamped to at least threshold + epsilon;
linear
    T(x) = min(tau * (1 - x), tau * (1 - threshold)).
With ``normalize`` the times are rescaled so the latest spike lands on step num_steps - 1
(linear: tau = num_steps - 1 - first_spike_time). A spike is placed at step round(T); steps past
the window are dropped and, with ``clip``, inputs below threshold do not fire at all
(otherwise they fire late). Reference: Eshraghian et al. (2023), "Training spiking neural
networks using lessons from deep learning", Proc. IEEE 111(9); snnTorch 1.0 ``spikegen``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.checks import check_positive, check_probability, check_whole
from core.encoders.checks import check_finite_inputs


@dataclass(frozen=True)
class LatencyParams:
    """Options of snnTorch's ``latency`` (same names and defaults)."""

    tau: float = 1.0
    threshold: float = 0.01
    first_spike_time: int = 0
    linear: bool = False
    normalize: bool = False
    clip: bool = False
    epsilon: float = 1e-7

    def __post_init__(self) -> None:
        check_positive("The latency time constant tau", self.tau)
        check_probability("The latency threshold", self.threshold, zero=False, one=False)
        start = check_whole("first_spike_time", self.first_spike_time, 0)
        object.__setattr__(self, "first_spike_time", start)
        if not 0 < self.epsilon < self.threshold:
            raise ValueError(f"epsilon must be positive and below threshold (got {self.epsilon}).")


def _check_unit(x: torch.Tensor) -> None:
    check_finite_inputs(x, "Latency")
    if x.numel() and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError(
            f"Latency codes need inputs in [0, 1] (got {float(x.min()):.3g} to "
            f"{float(x.max()):.3g}); rescale the data first."
        )


def latency_times(
    x: torch.Tensor, params: LatencyParams = LatencyParams(), num_steps: int | None = None
) -> torch.Tensor:
    """Spike time per input in steps (real-valued, before rounding)."""
    _check_unit(x)
    p = params
    if p.normalize and not num_steps:
        raise ValueError("A normalised latency code needs the number of steps.")
    if num_steps and p.first_spike_time > num_steps - 1:
        raise ValueError(
            f"first_spike_time ({p.first_spike_time}) must be at most num_steps - 1 "
            f"({num_steps - 1})."
        )
    xf = x.to(torch.float32) if not x.is_floating_point() else x
    if p.linear:
        tau = (num_steps - 1 - p.first_spike_time) if p.normalize and num_steps else p.tau
        return torch.clamp_max(-tau * (xf - 1), -tau * (p.threshold - 1)) + p.first_spike_time
    xc = torch.clamp(xf, min=p.threshold + p.epsilon)
    t = p.tau * torch.log(xc / (xc - p.threshold)) + p.first_spike_time
    if p.normalize and num_steps:
        shifted = t - p.first_spike_time
        t = shifted * (num_steps - p.first_spike_time - 1) / shifted.max() + p.first_spike_time
    return t


def latency_spikes(
    x: torch.Tensor, num_steps: int, params: LatencyParams = LatencyParams()
) -> torch.Tensor:
    """Spike tensor [num_steps, *x.shape] (float32), one spike per input at most."""
    check_whole("num_steps", num_steps, 1)
    times = latency_times(x, params, num_steps)
    step = torch.round(times).long()
    grid = torch.arange(num_steps, device=x.device).view(-1, *([1] * x.dim()))
    spikes = grid == step.unsqueeze(0)  # steps past the window simply never match
    if params.clip:
        spikes = spikes & ~(x < params.threshold).unsqueeze(0)
    return spikes.to(torch.float32)
