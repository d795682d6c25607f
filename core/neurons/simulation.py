"""One neuron (or a batch along trailing axes) driven by an input current, in NumPy.

What the explorer, ``python -m core simulate`` and the Neuron dynamics page run: any model of
the registry through the one time loop, in float64, every trace of the model recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from core.neurons.loop import run_model
from core.neurons.registry import get_model, make_params


@dataclass(frozen=True)
class Neuron:
    """A registered model and its parameters (its params dataclass; the defaults if None)."""

    model: str = "lif"
    params: Any = None

    def __post_init__(self) -> None:
        params_type = get_model(self.model).params
        if self.params is None:
            object.__setattr__(self, "params", params_type())
        elif not isinstance(self.params, params_type):
            raise ValueError(
                f"The {self.model} neuron takes {params_type.__name__}, "
                f"not {type(self.params).__name__}."
            )

    @classmethod
    def make(cls, model: str, **values: Any) -> Neuron:
        """The ``model`` neuron from generic values (keys it lacks are ignored)."""
        return cls(model, make_params(model, **values))


@dataclass(frozen=True)
class SimulationResult:
    """Input, spikes and every recorded trace, each shaped [steps] or [steps, batch]."""

    input: np.ndarray
    spikes: np.ndarray
    traces: dict[str, np.ndarray]
    threshold: float  # the threshold parameter; a per-step one is traces["threshold"]

    @property
    def mem(self) -> np.ndarray:
        return self.traces["mem"]

    @property
    def syn(self) -> np.ndarray | None:
        return self.traces.get("syn")

    @property
    def spike_count(self) -> np.ndarray:
        return self.spikes.sum(axis=0)


def simulate(neuron: Neuron, x: np.ndarray) -> SimulationResult:
    """Drive one neuron (or a batch along trailing axes) with input ``x`` of shape [steps, ...]."""
    x = np.asarray(x, dtype=np.float64)
    trace = run_model(neuron.model, neuron.params, x)
    return SimulationResult(x, trace.spikes, trace.traces, neuron.params.threshold)


def fi_curve(
    neuron: Neuron, unit_input: np.ndarray, amplitudes: np.ndarray, offset: float = 0.0
) -> np.ndarray:
    """Firing rate (spikes per step) for each amplitude, in one batched simulation.

    The input at amplitude a is ``offset + a * unit_input``; ``unit_input`` has shape [steps].
    """
    unit = np.asarray(unit_input, dtype=np.float64)[:, None]
    x = offset + unit * np.asarray(amplitudes, dtype=np.float64)[None, :]
    return simulate(neuron, x).spike_count / x.shape[0]


class _Leaky(NamedTuple):
    """Unchecked leaky parameters: a forward-Euler factor may lie outside [0, 1]."""

    beta: float
    threshold: float
    reset: str


def run_leaky(x: np.ndarray, beta: float, threshold: float, reset: str) -> SimulationResult:
    """The LIF step with ``beta`` taken as given, over the first axis of ``x``."""
    x = np.asarray(x, dtype=np.float64)
    trace = run_model("lif", _Leaky(beta, threshold, reset), x)
    return SimulationResult(x, trace.spikes, trace.traces, threshold)
