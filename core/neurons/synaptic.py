"""The current-based LIF neuron ("synaptic"): the SpyTorch recurrence (Zenke & Vogels 2021).

::

    I[t] = alpha * I[t-1] + x[t]
    U[t] = beta * U[t-1] + I[t-1] - R[t]            (soft: R = theta * S[t-1])
    U[t] = (beta * U[t-1] + I[t-1]) * (1 - S[t-1])  (hard reset to zero)

so the membrane sees the current one step later than ``snntorch.Synaptic`` does; driving
``snntorch.Synaptic`` with the input delayed by one step gives the identical membrane trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from core.neurons.base import Array, NeuronModel, heaviside, reset_term, stop_gradient
from core.neurons.params import (
    alpha_field,
    beta_field,
    check_params,
    reset_field,
    threshold_field,
)


class SynapticState(NamedTuple):
    syn: Array
    mem: Array
    spikes: Array


@dataclass(frozen=True)
class SynapticParams:
    """Defaults are SpyTorch's: tau_mem = 10 ms, tau_syn = 5 ms at dt = 1 ms, threshold 1."""

    alpha: float = alpha_field()
    beta: float = beta_field()
    threshold: float = threshold_field()
    reset: str = reset_field()

    def __post_init__(self) -> None:
        check_params(self)


def synaptic_step(
    x: Array,
    state: SynapticState,
    params: SynapticParams,
    spike_fn: Callable[[Array], Array] = heaviside,
) -> tuple[Array, SynapticState]:
    """Advance a current-based LIF neuron by one step; return (spikes, new state)."""
    fired = stop_gradient(state.spikes)
    drive = params.beta * state.mem + state.syn
    if params.reset == "hard":
        mem = drive * (1.0 - fired)
    else:
        mem = drive - reset_term(state.mem, fired, params.beta, params.threshold, params.reset)
    syn = params.alpha * state.syn + x
    spikes = spike_fn(mem - params.threshold)
    return spikes, SynapticState(syn, mem, spikes)


def synaptic_initial_state(zeros: Array) -> SynapticState:
    return SynapticState(zeros, zeros, zeros)


SYNAPTIC_MODEL = NeuronModel(
    name="synaptic",
    label="Current-based LIF (synaptic)",
    params=SynapticParams,
    step=synaptic_step,
    initial_state=synaptic_initial_state,
    equations=(
        r"**Synaptic LIF** (SpyTorch): $I[t] = \alpha I[t-1] + x[t]$, "
        r"$U[t] = \beta U[t-1] + I[t-1] - \theta S[t-1]$ (soft) or "
        r"$(\beta U[t-1] + I[t-1])(1 - S[t-1])$ (hard), spike $S[t] = H(U[t] - \theta)$."
    ),
    traces=("syn", "mem"),
)
