"""A small feed-forward spiking network: LIF/IF hidden layers and a leaky readout.

Hidden layers use the leaky step of ``core.neurons.lif`` (as ``snntorch.Leaky``) with the
fast-sigmoid surrogate; the readout integrates without spiking, U[t] = beta U[t-1] + W h[t],
and the class score is its maximum over time (SpyTorch). The network is feed-forward, so each
layer's input projection for all time steps is one matrix multiply before its time loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from core.neurons.lif import LeakyState, leaky_step
from core.neurons.params import RESETS
from core.neurons.surrogate import fast_sigmoid_spike


@dataclass(frozen=True)
class NetworkSpec:
    hidden: tuple[int, ...] = (8, 8)
    neuron: str = "lif"
    reset: str = "soft"
    beta: float = 0.9
    threshold: float = 1.0
    scale: float = 10.0
    init_scale: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= len(self.hidden) <= 6 or any(not 1 <= n <= 32 for n in self.hidden):
            raise ValueError("Use up to 6 hidden layers of 1 to 32 neurons each.")
        if self.neuron not in ("lif", "if"):
            raise ValueError(f"The neuron must be lif or if (got {self.neuron!r}).")
        if self.reset not in RESETS:
            raise ValueError(f"The reset must be one of {', '.join(RESETS)} (got {self.reset!r}).")
        if not 0 <= self.beta <= 1:
            raise ValueError(f"beta must lie between 0 and 1 (got {self.beta}).")
        if not self.threshold > 0 or not self.scale > 0:
            raise ValueError("The threshold and the surrogate scale must be greater than 0.")

    @property
    def effective_beta(self) -> float:
        return 1.0 if self.neuron == "if" else self.beta


class Trace(NamedTuple):
    logits: torch.Tensor  # [batch, classes]
    spikes: list[torch.Tensor]  # per hidden layer [T, batch, n]
    mems: list[torch.Tensor]  # per hidden layer [T, batch, n]
    readout: torch.Tensor  # [T, batch, classes]


class SpikingMLP(nn.Module):
    """Weights only; the dynamics are the pure step functions of ``core.neurons.lif``."""

    def __init__(self, inputs: int, spec: NetworkSpec, outputs: int, generator: torch.Generator):
        super().__init__()
        self.spec = spec
        sizes = [inputs, *spec.hidden, outputs]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.randn(a, b, generator=generator) * spec.init_scale / a**0.5)
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )

    @property
    def sizes(self) -> list[int]:
        return [self.weights[0].shape[0], *(w.shape[1] for w in self.weights)]

    def forward(self, x: torch.Tensor) -> Trace:
        """Run input spikes [T, batch, inputs] through the network."""
        spec = self.spec
        spike_fn = partial(fast_sigmoid_spike, scale=spec.scale)
        spikes, mems = [], []
        layer_in = x
        for w in self.weights[:-1]:
            current = layer_in @ w  # all time steps at once
            state = LeakyState(torch.zeros_like(current[0]), torch.zeros_like(current[0]))
            spk_t, mem_t = [], []
            for t in range(current.shape[0]):
                spk, state = leaky_step(
                    current[t], state, spec.effective_beta, spec.threshold, spec.reset, spike_fn
                )
                spk_t.append(spk)
                mem_t.append(state.mem)
            layer_in = torch.stack(spk_t)
            spikes.append(layer_in)
            mems.append(torch.stack(mem_t))
        readout = _leaky_integrate(layer_in @ self.weights[-1], spec.beta)
        return Trace(readout.max(dim=0).values, spikes, mems, readout)


def _leaky_integrate(current: torch.Tensor, beta: float) -> torch.Tensor:
    """U[t] = beta U[t-1] + current[t] over the first axis."""
    out, u = [], torch.zeros_like(current[0])
    for t in range(current.shape[0]):
        u = beta * u + current[t]
        out.append(u)
    return torch.stack(out)
