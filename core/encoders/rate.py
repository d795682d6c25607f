"""Rate (Bernoulli / "Poisson") codes as in ``snntorch.spikegen.rate``, with an explicit generator.

Each input x is scaled, p = clamp(gain * x + offset, 0, 1), and at every step fires with
probability p, independently: S[t, i] ~ Bernoulli(p_i); the expected count over T steps is T * p_i.
snnTorch draws from the global torch RNG; here the draw uses a caller-given
``torch.Generator``, which with the same seed gives the very same spikes as snnTorch after
``torch.manual_seed`` (both call ``torch.bernoulli``). Reference: Eshraghian et al. (2023),
Proc. IEEE 111(9).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.checks import check_finite, check_whole
from core.encoders.checks import check_finite_inputs


@dataclass(frozen=True)
class RateParams:
    """Options of snnTorch's ``rate`` for static inputs."""

    gain: float = 1.0
    offset: float = 0.0
    first_spike_time: int = 0

    def __post_init__(self) -> None:
        check_finite("The rate gain", self.gain)
        check_finite("The rate offset", self.offset)
        start = check_whole("first_spike_time", self.first_spike_time, 0)
        object.__setattr__(self, "first_spike_time", start)


def rate_probabilities(x: torch.Tensor, params: RateParams = RateParams()) -> torch.Tensor:
    """Spike probability per step for each input."""
    check_finite_inputs(x, "Rate")
    xf = x.to(torch.float32) if not x.is_floating_point() else x
    return torch.clamp(xf * params.gain + params.offset, 0.0, 1.0)


def rate_spikes(
    x: torch.Tensor,
    num_steps: int,
    generator: torch.Generator,
    params: RateParams = RateParams(),
) -> torch.Tensor:
    """Spike tensor [num_steps, *x.shape] (float32) drawn with ``generator``."""
    check_whole("num_steps", num_steps, 1)
    if params.first_spike_time > num_steps - 1:
        raise ValueError(
            f"first_spike_time ({params.first_spike_time}) must be at most num_steps - 1."
        )
    prob = rate_probabilities(x, params)
    tiled = prob.repeat(num_steps, *([1] * x.dim())).reshape(num_steps, *x.shape)
    spikes = torch.bernoulli(tiled, generator=generator).to(torch.float32)
    if params.first_spike_time > 0:
        spikes[: params.first_spike_time] = 0
    return spikes
