"""The one time loop: runs any registered neuron model over the first axis of its input.

``c[t] = x[t] + feedback(S[t-1])`` (``S[-1] = 0``; no feedback term without ``feedback``).
With ``delay=0`` the neuron receives ``c[t]`` at step t; with ``delay=1`` it receives
``c[t-1]`` (``c[-1] = 0``): SpyTorch's convention, where the synaptic current reaches the
membrane one step later. So a recurrent layer is ``feedback=lambda s: s @ V``, and the
SpyTorch hidden layer (``core.engine.reference``) is the "synaptic" model with ``delay=1``.
Works on NumPy arrays and on torch tensors (gradients flow through ``spike_fn``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np

from core.neurons.base import Array, NeuronModel, heaviside
from core.neurons.registry import get_model


class Trace(NamedTuple):
    spikes: Array  # [T, ...]
    traces: dict[str, Array]  # state field -> [T, ...], the state after each step


def _zeros_like(x: Array) -> Array:
    if isinstance(x, np.ndarray | np.generic):
        return np.zeros_like(x)
    import torch  # only reached with tensors, so NumPy callers never import torch

    return torch.zeros_like(x)


def _time_steps(x: Array) -> Iterable[Array]:
    """The slices x[0], x[1], ... of the first axis, taken all at once for a tensor.

    Why not ``x[t]`` in the loop: each index is its own autograd node, whose backward
    allocates and zeroes a gradient shaped like the whole [T, ...] input, so a backward pass
    over T steps cost O(T^2) memory traffic (issue 28). ``unbind`` is one node whose backward
    stacks the T slice gradients once; values and gradients are bit-identical.
    """
    if isinstance(x, np.ndarray | np.generic):
        return iter(x)
    return x.unbind(0)


def _stack(items: list[Array]) -> Array:
    if isinstance(items[0], np.ndarray | np.generic):
        return np.array(items)  # as np.stack, many times faster on a list of scalars
    import torch

    return torch.stack(items)


def _nothing(_state: Any) -> tuple[()]:
    """What ``run_model`` keeps of each step's state when it records none of it."""
    return ()


def run_model(
    model: NeuronModel | str,
    params: Any,
    x: Array,
    spike_fn: Callable[[Array], Array] = heaviside,
    feedback: Callable[[Array], Array] | None = None,
    delay: int = 0,
    record: tuple[str, ...] | None = None,
) -> Trace:
    """Drive ``model`` with input ``x`` [T, ...]; spikes and the recorded state after each step."""
    if delay not in (0, 1):
        raise ValueError(f"The input delay must be 0 or 1 steps (got {delay}).")
    model = get_model(model) if isinstance(model, str) else model
    record = model.traces if record is None else record
    zeros = _zeros_like(x[0])
    state = model.initial_state(zeros)
    spikes, pending = zeros, zeros
    step, spike_rec, kept = model.step, [], []
    pick = attrgetter(*record) if record else _nothing  # only what is recorded stays alive
    for x_t in _time_steps(x):
        current = x_t if feedback is None else x_t + feedback(spikes)
        if delay:
            current, pending = pending, current
        spikes, state = step(current, state, params, spike_fn)
        spike_rec.append(spikes)
        kept.append(pick(state))
    columns = [kept] if len(record) == 1 else [list(c) for c in zip(*kept, strict=True)]
    traces = {name: _stack(column) for name, column in zip(record, columns, strict=False)}
    return Trace(_stack(spike_rec), traces)


def leaky_integrate(x: Array, beta: float, delay: int = 0) -> Array:
    """A non-spiking leaky integrator over the first axis: U[t] = beta U[t-1] + x[t - delay].

    The readouts of the training network and the Playground (their class score is the
    membrane's maximum over time); ``delay=1`` is SpyTorch's one-step synaptic delay.
    """
    if delay not in (0, 1):
        raise ValueError(f"The input delay must be 0 or 1 steps (got {delay}).")
    u = pending = _zeros_like(x[0])
    out = []
    for current in _time_steps(x):
        if delay:
            current, pending = pending, current
        u = beta * u + current
        out.append(u)
    return _stack(out)
