"""Discrete-time IF, LIF and current-based (synaptic) LIF neurons as pure step functions.

The step functions use only arithmetic and comparisons, so they run unchanged on NumPy arrays
(the fast path of the explorer) and on torch tensors (training). State is a NamedTuple that the
step returns instead of storing, as in norse.

Leaky neuron (LIF; IF is beta = 1) -- exactly ``snntorch.Leaky`` with its default delayed reset::

    U[t] = beta * U[t-1] + x[t] - R[t],   S[t] = H(U[t] - theta)
    R[t] = theta * S[t-1]               (soft: subtract the threshold)
    R[t] = beta * U[t-1] * S[t-1]       (hard: the membrane restarts from zero)
    R[t] = 0                            (none)

Current-based LIF -- the SpyTorch recurrence (Zenke & Vogels 2021; tutorial 1)::

    I[t] = alpha * I[t-1] + x[t]
    U[t] = beta * U[t-1] + I[t-1] - R[t]          (soft: R = theta * S[t-1])
    U[t] = (beta * U[t-1] + I[t-1]) * (1 - S[t-1])  (hard reset to zero)

so the membrane sees the current one step later than ``snntorch.Synaptic`` does; driving
``snntorch.Synaptic`` with the input delayed by one step gives the identical membrane trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from core.neurons.params import NeuronParams

Array = Any  # a NumPy array or a torch tensor


class LeakyState(NamedTuple):
    mem: Array
    spikes: Array


class SynapticState(NamedTuple):
    syn: Array
    mem: Array
    spikes: Array


def heaviside(x: Array) -> Array:
    """Spike where ``x > 0``; the forward pass of every surrogate spike function."""
    return (x > 0) * 1.0


def _stop_gradient(x: Array) -> Array:
    """Reset signals carry no gradient (as in SpyTorch and snnTorch); NumPy has none to stop."""
    return x.detach() if hasattr(x, "detach") else x


def _reset_term(mem: Array, spikes: Array, beta: float, threshold: float, reset: str) -> Array:
    """What the delayed reset removes from the membrane at this step."""
    if reset == "soft":
        return threshold * spikes
    if reset == "hard":
        return beta * mem * spikes
    return 0.0 * spikes


def leaky_step(
    x: Array,
    state: LeakyState,
    beta: float,
    threshold: float,
    reset: str,
    spike_fn: Callable[[Array], Array] = heaviside,
) -> tuple[Array, LeakyState]:
    """Advance a leaky neuron by one step; return (spikes, new state).

    ``spike_fn`` maps ``mem - threshold`` to spikes; training passes a surrogate-gradient
    spike function. The reset uses the previous spikes without gradient.
    """
    reset_by = _reset_term(state.mem, _stop_gradient(state.spikes), beta, threshold, reset)
    mem = beta * state.mem + x - reset_by
    spikes = spike_fn(mem - threshold)
    return spikes, LeakyState(mem, spikes)


def synaptic_step(
    x: Array, state: SynapticState, alpha: float, beta: float, threshold: float, reset: str
) -> tuple[Array, SynapticState]:
    """Advance a current-based LIF neuron by one step; return (spikes, new state)."""
    drive = beta * state.mem + state.syn
    if reset == "hard":
        mem = drive * (1.0 - state.spikes)
    else:
        mem = drive - _reset_term(state.mem, state.spikes, beta, threshold, reset)
    syn = alpha * state.syn + x
    spikes = (mem > threshold) * 1.0
    return spikes, SynapticState(syn, mem, spikes)


@dataclass(frozen=True)
class SimulationResult:
    """Traces of a simulation, each shaped [steps] or [steps, batch]."""

    input: np.ndarray
    mem: np.ndarray
    spikes: np.ndarray
    syn: np.ndarray | None
    threshold: float

    @property
    def spike_count(self) -> np.ndarray:
        return self.spikes.sum(axis=0)


def run_leaky(x: np.ndarray, beta: float, threshold: float, reset: str) -> SimulationResult:
    """Run the leaky step over the first axis of ``x`` (any trailing batch shape).

    ``beta`` is taken as given, so a forward-Euler factor below zero can be studied too.
    """
    x = np.asarray(x, dtype=np.float64)
    mem_rec = np.empty_like(x)
    spk_rec = np.empty_like(x)
    state = LeakyState(np.zeros(x.shape[1:]), np.zeros(x.shape[1:]))
    for t in range(x.shape[0]):
        spikes, state = leaky_step(x[t], state, beta, threshold, reset)
        mem_rec[t] = state.mem
        spk_rec[t] = spikes
    return SimulationResult(x, mem_rec, spk_rec, None, threshold)


def run_synaptic(
    x: np.ndarray, alpha: float, beta: float, threshold: float, reset: str
) -> SimulationResult:
    """Run the current-based LIF step over the first axis of ``x``."""
    x = np.asarray(x, dtype=np.float64)
    mem_rec = np.empty_like(x)
    syn_rec = np.empty_like(x)
    spk_rec = np.empty_like(x)
    zeros = np.zeros(x.shape[1:])
    state = SynapticState(zeros, zeros, zeros)
    for t in range(x.shape[0]):
        spikes, state = synaptic_step(x[t], state, alpha, beta, threshold, reset)
        mem_rec[t] = state.mem
        syn_rec[t] = state.syn
        spk_rec[t] = spikes
    return SimulationResult(x, mem_rec, spk_rec, syn_rec, threshold)


def simulate(params: NeuronParams, x: np.ndarray) -> SimulationResult:
    """Drive one neuron (or a batch along trailing axes) with input ``x`` of shape [steps, ...]."""
    if params.model == "synaptic":
        return run_synaptic(x, params.alpha, params.beta, params.threshold, params.reset)
    return run_leaky(x, params.effective_beta, params.threshold, params.reset)


def fi_curve(
    params: NeuronParams, unit_input: np.ndarray, amplitudes: np.ndarray, offset: float = 0.0
) -> np.ndarray:
    """Firing rate (spikes per step) for each amplitude, in one batched simulation.

    The input at amplitude a is ``offset + a * unit_input``; ``unit_input`` has shape [steps].
    """
    unit = np.asarray(unit_input, dtype=np.float64)[:, None]
    x = offset + unit * np.asarray(amplitudes, dtype=np.float64)[None, :]
    return simulate(params, x).spike_count / x.shape[0]
