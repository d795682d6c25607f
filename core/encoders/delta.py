"""Delta modulation of time series, as ``snntorch.spikegen.delta``.

An input spikes when it rose by at least ``threshold`` since the previous step:
    S[t] = 1 if x[t] - x[t-1] >= threshold;  with ``off_spike``, -1 if x[t] - x[t-1] <= -threshold;
where x[-1] is 0, or x[0] with ``padding`` (so the first step does not fire on its own level).
A send-on-delta code suits slowly varying sensor data such as the Braille taxel traces: it
spends spikes only where the signal changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.checks import check_positive
from core.encoders.checks import check_finite_inputs


@dataclass(frozen=True)
class DeltaParams:
    threshold: float = 0.1
    padding: bool = False
    off_spike: bool = False

    def __post_init__(self) -> None:
        check_positive("The delta threshold", self.threshold)


def delta_spikes(data: torch.Tensor, params: DeltaParams = DeltaParams()) -> torch.Tensor:
    """Spikes [time, ...] (float32; -1 marks off-spikes) from a time-first tensor."""
    if data.dim() < 1 or data.shape[0] < 1:
        raise ValueError("Delta modulation needs a time-first tensor with at least one step.")
    check_finite_inputs(data, "Delta")
    first = data[:1] if params.padding else torch.zeros_like(data[:1])
    previous = torch.cat((first, data[:-1]))
    change = data - previous
    spikes = (change >= params.threshold).to(torch.float32)
    if params.off_spike:
        spikes = spikes - (change <= -params.threshold).to(torch.float32)
    return spikes
