"""The adaptive LIF neuron (ALIF) of the long short-term memory SNN (LSNN).

Bellec, Salaj, Subramoney, Legenstein & Maass (2018), "Long short-term memory and
learning-to-learn in networks of spiking neurons", NeurIPS 31 (arXiv:1803.09574). Each spike
raises the neuron's threshold, which then relaxes with the slow time constant tau_adapt; in
SpikeLab's discrete form (as for the LIF, the input is not scaled by 1 - beta)::

    a[t] = rho * a[t-1] + (1 - rho) * S[t-1]      (a[0] = 0),  rho = exp(-dt / tau_adapt)
    A[t] = theta + b * a[t]                        (the adaptive threshold)
    U[t] = beta * U[t-1] + x[t] - R[t],            S[t] = H(U[t] - A[t])
    R[t] = A[t-1] * S[t-1]          (soft: the threshold that was crossed is subtracted)
    R[t] = beta * U[t-1] * S[t-1]   (hard: the membrane restarts from zero, as the LIF's)
    R[t] = 0                        (none)

With b = 0 it is the LIF. b = 1.8 is the paper's sequential-MNIST setting (their beta; b here,
since beta is the membrane decay). The reset is detached from the graph; the adaptation keeps
its gradient, as in the paper's BPTT.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from core.neurons.base import Array, NeuronModel, heaviside, reset_term, stop_gradient
from core.neurons.params import (
    beta_field,
    check_params,
    dt_field,
    knob,
    reset_field,
    threshold_field,
)


class ALIFState(NamedTuple):
    mem: Array
    spikes: Array
    a: Array  # adaptation, a low-pass filter of the neuron's own spikes
    threshold: Array  # A[t] = theta + b * a[t]


@dataclass(frozen=True)
class ALIFParams:
    """An adaptive LIF neuron; the membrane defaults are the LIF's."""

    beta: float = beta_field()
    threshold: float = threshold_field()
    reset: str = reset_field()
    adapt_tau: float = knob(
        200.0, "τ_adapt (ms)", "threshold adaptation time constant", 1.0, 2000.0, 1.0
    )
    adapt_b: float = knob(
        1.8, "b (adaptation)", "threshold increase per unit of adaptation", 0.0, 5.0, 0.05
    )
    dt: float = dt_field()

    def __post_init__(self) -> None:
        check_params(self)  # adapt_tau > 0 and adapt_b >= 0 among the shared checks

    @property
    def rho(self) -> float:
        """Adaptation decay per step, exp(-dt / tau_adapt)."""
        return math.exp(-self.dt / self.adapt_tau)


def alif_step(
    x: Array,
    state: ALIFState,
    params: ALIFParams,
    spike_fn: Callable[[Array], Array] = heaviside,
) -> tuple[Array, ALIFState]:
    """Advance an adaptive LIF neuron by one step; return (spikes, new state)."""
    rho = params.rho
    a = rho * state.a + (1.0 - rho) * state.spikes
    threshold = params.threshold + params.adapt_b * a
    fired = stop_gradient(state.spikes)
    reset_by = reset_term(state.mem, fired, params.beta, state.threshold, params.reset)
    mem = params.beta * state.mem + x - reset_by
    spikes = spike_fn(mem - threshold)
    return spikes, ALIFState(mem, spikes, a, threshold)


def alif_initial_state(zeros: Array) -> ALIFState:
    return ALIFState(zeros, zeros, zeros, zeros)


ALIF_MODEL = NeuronModel(
    name="alif",
    label="Adaptive LIF (ALIF)",
    params=ALIFParams,
    step=alif_step,
    initial_state=alif_initial_state,
    equations=(
        r"**Adaptive LIF** (Bellec et al. 2018, LSNN): $a[t] = \rho a[t-1] + (1-\rho) S[t-1]$, "
        r"threshold $A[t] = \theta + b\,a[t]$, $U[t] = \beta U[t-1] + x[t] - R[t]$, spike "
        r"$S[t] = H(U[t] - A[t])$; soft $R[t] = A[t-1] S[t-1]$, hard "
        r"$R[t] = \beta U[t-1] S[t-1]$, none $R = 0$; $\rho = e^{-\Delta t/\tau_{adapt}}$."
    ),
    traces=("mem", "threshold"),
)
