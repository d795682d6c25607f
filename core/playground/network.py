"""A small feed-forward spiking network: spiking hidden layers and a leaky readout.

Hidden layers are any trainable model of the neuron registry (the LIF by default, as
``snntorch.Leaky``), run by the one time loop ``core.neurons.loop.run_model`` with the
fast-sigmoid surrogate; the readout integrates without spiking, U[t] = beta U[t-1] + W h[t],
and the class score is its maximum over time (SpyTorch). The network is feed-forward, so each
layer's input projection for all time steps is one matrix multiply before its time loop.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from core.neurons.loop import leaky_integrate, run_model
from core.neurons.params import RESETS
from core.neurons.registry import get_model, make_params, model_names
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
        if self.neuron not in model_names(trainable=True):
            raise ValueError(f"The neuron must be one of {', '.join(model_names(trainable=True))} "
                             f"(got {self.neuron!r}).")
        if self.reset not in RESETS:
            raise ValueError(f"The reset must be one of {', '.join(RESETS)} (got {self.reset!r}).")
        if not 0 <= self.beta <= 1:
            raise ValueError(f"beta must lie between 0 and 1 (got {self.beta}).")
        if not self.threshold > 0 or not self.scale > 0:
            raise ValueError("The threshold and the surrogate scale must be greater than 0.")

    @property
    def params(self):
        """The hidden neurons' parameters (a model without leak ignores ``beta``)."""
        return make_params(self.neuron, beta=self.beta, threshold=self.threshold, reset=self.reset)


def leaks(neuron: str) -> bool:
    """Whether the registry's ``neuron`` has a membrane decay ``beta`` (the IF has none)."""
    return any(f.name == "beta" for f in fields(get_model(neuron).params))


class Trace(NamedTuple):
    logits: torch.Tensor  # [batch, classes]
    spikes: list[torch.Tensor]  # per hidden layer [T, batch, n]
    mems: list[torch.Tensor]  # per hidden layer [T, batch, n]
    readout: torch.Tensor  # [T, batch, classes]


class SpikingMLP(nn.Module):
    """Weights only; the dynamics are the registry's pure step functions."""

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
        params = spec.params
        spikes, mems = [], []
        layer_in = x
        for w in self.weights[:-1]:
            run = run_model(spec.neuron, params, layer_in @ w, spike_fn=spike_fn, record=("mem",))
            layer_in = run.spikes
            spikes.append(layer_in)
            mems.append(run.traces["mem"])
        readout = leaky_integrate(layer_in @ self.weights[-1], spec.beta)
        return Trace(readout.max(dim=0).values, spikes, mems, readout)
