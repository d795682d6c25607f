"""The membrane equation in physical units, discretised exactly or by forward Euler.

    tau_mem * dV/dt = -(V - E_L) + R * I(t)

With I held constant over a step of length dt the exact solution is

    V[t] = E_L + beta * (V[t-1] - E_L) + (1 - beta) * R * I[t],   beta = exp(-dt / tau_mem)

while forward Euler replaces beta by 1 - dt / tau_mem. The two agree for dt << tau_mem; as dt
grows Euler undershoots the decay, and for dt > 2 tau_mem its factor drops below -1 and the
trace oscillates and diverges. Both use the LIF step of the registry on V - E_L, so
thresholds and resets behave exactly as in the discrete neuron (hard reset returns to E_L).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from core.checks import check_finite, check_positive
from core.neurons.params import PhysicalParams
from core.neurons.simulation import SimulationResult, run_leaky

METHODS: tuple[str, ...] = ("exact", "euler")


@dataclass(frozen=True)
class MembraneODE:
    """Parameters of the membrane equation: mV, ms, MOhm and nA (R * I in mV)."""

    physical: PhysicalParams = PhysicalParams()
    e_leak: float = 0.0
    resistance: float = 1.0
    v_threshold: float = 1.0

    def __post_init__(self) -> None:
        check_finite("The resting potential E_L", self.e_leak)
        check_finite("The firing threshold", self.v_threshold)
        if not self.v_threshold > self.e_leak:
            raise ValueError(
                f"The firing threshold ({self.v_threshold} mV) must lie above the resting "
                f"potential E_L ({self.e_leak} mV)."
            )
        check_positive("The resistance R", self.resistance)


def decay_factor(ode: MembraneODE, method: str) -> float:
    """Factor multiplying V - E_L each step: exp(-dt/tau) exactly, 1 - dt/tau for Euler."""
    ratio = ode.physical.dt / ode.physical.tau_mem
    if method == "exact":
        return math.exp(-ratio)
    if method == "euler":
        return 1.0 - ratio
    raise ValueError(f"The method must be one of {', '.join(METHODS)} (got {method!r}).")


def integrate(ode: MembraneODE, current: np.ndarray, method: str, reset: str) -> SimulationResult:
    """Integrate the membrane equation for a current trace (nA, one value per step)."""
    a = decay_factor(ode, method)
    drive = (1.0 - a) * ode.resistance * np.asarray(current, dtype=np.float64)
    result = run_leaky(drive, a, ode.v_threshold - ode.e_leak, reset)
    return replace(
        result,
        input=np.asarray(current, dtype=np.float64),
        traces={"mem": result.mem + ode.e_leak},
        threshold=ode.v_threshold,
    )


def euler_error_curve(
    ode: MembraneODE, current_na: float, duration_ms: float, dts: np.ndarray
) -> np.ndarray:
    """Largest gap (mV) between Euler and exact sub-threshold traces, for each dt in ``dts``.

    For a step current from rest both have closed forms, v[n] = R*I*(1 - a**n) with
    a = exp(-dt/tau) or 1 - dt/tau, so the whole curve is one vectorised expression.
    """
    dts = np.asarray(dts, dtype=np.float64)
    counts = np.maximum(np.floor(duration_ms / dts), 1).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n = np.arange(counts.sum()) - np.repeat(starts, counts) + 1  # 1..count for each dt
    ratio = np.repeat(dts / ode.physical.tau_mem, counts)
    with np.errstate(over="ignore", invalid="ignore"):
        gap = np.abs(np.exp(-ratio * n) - (1.0 - ratio) ** n)
    return abs(ode.resistance * current_na) * np.maximum.reduceat(gap, starts)
