"""The leaky integrate-and-fire neuron (LIF) and the integrate-and-fire neuron (IF).

Exactly ``snntorch.Leaky`` with its default delayed reset::

    U[t] = beta * U[t-1] + x[t] - R[t],   S[t] = H(U[t] - theta)
    R[t] = theta * S[t-1]               (soft: subtract the threshold)
    R[t] = beta * U[t-1] * S[t-1]       (hard: the membrane restarts from zero)
    R[t] = 0                            (none)

The IF neuron is this same step with a membrane that never leaks (see ``IFParams.beta``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from core.neurons.base import Array, NeuronModel, heaviside, reset_term, stop_gradient
from core.neurons.params import beta_field, check_params, reset_field, threshold_field


class LeakyState(NamedTuple):
    mem: Array
    spikes: Array


@dataclass(frozen=True)
class LIFParams:
    """A leaky neuron; defaults are SpyTorch's (tau_mem = 10 ms at dt = 1 ms, threshold 1)."""

    beta: float = beta_field()
    threshold: float = threshold_field()
    reset: str = reset_field()

    def __post_init__(self) -> None:
        check_params(self)


@dataclass(frozen=True)
class IFParams:
    """An integrate-and-fire neuron: a threshold and a reset, no leak."""

    threshold: float = threshold_field()
    reset: str = reset_field()

    def __post_init__(self) -> None:
        check_params(self)

    @property
    def beta(self) -> float:
        """IF means beta = 1: the membrane never leaks."""
        return 1.0


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
    spike function. The reset uses the previous spikes without gradient. ``beta`` is taken as
    given, so a forward-Euler factor below zero can be studied too.
    """
    reset_by = reset_term(state.mem, stop_gradient(state.spikes), beta, threshold, reset)
    mem = beta * state.mem + x - reset_by
    spikes = spike_fn(mem - threshold)
    return spikes, LeakyState(mem, spikes)


def lif_step(
    x: Array,
    state: LeakyState,
    params: LIFParams | IFParams,
    spike_fn: Callable[[Array], Array] = heaviside,
) -> tuple[Array, LeakyState]:
    """The registry's step of the LIF and IF neurons (norse's signature)."""
    return leaky_step(x, state, params.beta, params.threshold, params.reset, spike_fn)


def leaky_initial_state(zeros: Array) -> LeakyState:
    return LeakyState(zeros, zeros)


_RESETS_TEX = (
    r"soft $R[t] = \theta S[t-1]$ (subtracts $\theta$, not $\beta\theta$), "
    r"hard $R[t] = \beta U[t-1] S[t-1]$ (restart from zero), none $R = 0$."
)

LIF_MODEL = NeuronModel(
    name="lif",
    label="Leaky integrate-and-fire (LIF)",
    params=LIFParams,
    step=lif_step,
    initial_state=leaky_initial_state,
    equations=(
        r"**LIF** (as `snntorch.Leaky`): $U[t] = \beta U[t-1] + x[t] - R[t]$, spike "
        r"$S[t] = H(U[t] - \theta)$; " + _RESETS_TEX
    ),
)

IF_MODEL = NeuronModel(
    name="if",
    label="Integrate-and-fire (IF)",
    params=IFParams,
    step=lif_step,
    initial_state=leaky_initial_state,
    equations=(
        r"**IF** (no leak): $U[t] = U[t-1] + x[t] - R[t]$, spike "
        r"$S[t] = H(U[t] - \theta)$; soft $R[t] = \theta S[t-1]$, hard $R[t] = U[t-1] S[t-1]$, "
        r"none $R = 0$."
    ),
)
