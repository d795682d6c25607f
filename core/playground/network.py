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

from core.checks import check_choice, check_positive, is_whole
from core.neurons.loop import leaky_integrate, run_model
from core.neurons.params import RESETS, check_decay
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
        if len(self.hidden) > 6 or not all(is_whole(n, 1, 32) for n in self.hidden):
            raise ValueError("Use up to 6 hidden layers of 1 to 32 neurons each.")
        object.__setattr__(self, "hidden", tuple(int(n) for n in self.hidden))
        check_choice("The neuron", self.neuron, model_names(trainable=True))
        check_choice("The reset", self.reset, RESETS)
        check_decay("beta", self.beta)  # LIFParams' limits: 0 to 1
        check_positive("The threshold", self.threshold)
        check_positive("The surrogate scale", self.scale)
        check_positive("The initial weight scale", self.init_scale)

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
