"""What every neuron model of the registry is made of, and the two helpers all steps share.

A model is data (``NeuronModel``): its parameter dataclass, a pure step function in norse's
shape ``step(x, state, params, spike_fn) -> (spikes, new_state)``, its initial state, its
equations and the state fields worth plotting. Steps use only arithmetic and comparisons, so
they run unchanged on NumPy arrays (the explorer) and on torch tensors (training).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Array = Any  # a NumPy array or a torch tensor


def heaviside(x: Array) -> Array:
    """Spike where ``x > 0``, in the dtype of ``x``; the forward pass of every surrogate."""
    hit = x > 0
    return hit.astype(x.dtype) if hasattr(hit, "astype") else hit.to(x.dtype)


def stop_gradient(x: Array) -> Array:
    """Reset signals carry no gradient (as in SpyTorch and snnTorch); NumPy has none to stop."""
    return x.detach() if hasattr(x, "detach") else x


def reset_term(mem: Array, spikes: Array, beta: float, threshold: float, reset: str) -> Array:
    """What the delayed reset removes from the membrane at this step.

    soft: the threshold; hard: the decayed membrane (it restarts from zero); none: nothing.
    """
    if reset == "soft":
        return threshold * spikes
    if reset == "hard":
        return beta * mem * spikes
    return 0.0 * spikes


@dataclass(frozen=True)
class NeuronModel:
    """One entry of the neuron registry (see ``core.neurons.registry``).

    Attributes:
        name: lower-case registry key ("if", "lif", "synaptic", ...).
        label: human name shown by pages.
        params: frozen dataclass of the model's parameters; every one has ``threshold`` and
            ``reset``; fields carry metadata (label, help, min, max, step) for widgets and flags.
        step: ``step(x, state, params, spike_fn=heaviside) -> (spikes, new_state)``, pure.
        initial_state: ``initial_state(zeros) -> state`` (a NamedTuple), zeros shaped like x[t].
        equations: markdown and LaTeX for the Neuron dynamics page.
        trainable: whether surrogate-gradient training can use it.
        traces: state fields worth recording and plotting.
    """

    name: str
    label: str
    params: type
    step: Callable
    initial_state: Callable
    equations: str
    trainable: bool = True
    traces: tuple[str, ...] = ("mem",)
