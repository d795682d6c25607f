"""Everything the Neuron dynamics page computes on a redraw, in one call.

Keeping the page's work here makes it scriptable, testable and timeable: ``explore`` is what
``python -m core bench --suite explorer`` measures against the 50 ms interactivity budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.checks import check_positive, check_whole
from core.neurons.params import check_steps
from core.neurons.physical import MembraneODE, euler_error_curve, integrate
from core.neurons.simulation import Neuron, SimulationResult, fi_curve, simulate
from core.stimuli import InputSpec, make_input, unit_pattern


@dataclass(frozen=True)
class ExplorerConfig:
    """Neuron A (and optionally B) driven by one input; the f-I curve over 0..fi_max.

    A and B are any models of the neuron registry, each with its own parameters.
    """

    a: Neuron = Neuron()
    b: Neuron | None = None
    stimulus: InputSpec = InputSpec()
    steps: int = 200
    dt: float = 1.0
    fi_max: float = 1.0
    fi_points: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", check_steps(self.steps))
        check_positive("The time step dt (ms)", self.dt)
        check_positive("The end of the f-I range", self.fi_max)
        points = check_whole("The number of f-I curve points", self.fi_points, 2)
        object.__setattr__(self, "fi_points", points)


@dataclass(frozen=True)
class ExplorerResult:
    input: np.ndarray
    a: SimulationResult
    b: SimulationResult | None
    fi_amplitudes: np.ndarray
    fi_rate_a: np.ndarray  # spikes per step
    fi_rate_b: np.ndarray | None

    def time_axis(self, dt: float) -> np.ndarray:
        """Time of each step in ms."""
        return np.arange(self.input.shape[0]) * dt


def explore(config: ExplorerConfig) -> ExplorerResult:
    """Simulate A (and B) and their f-I curves, each f-I curve one batched simulation."""
    x = make_input(config.stimulus, config.steps)
    unit = unit_pattern(config.stimulus, config.steps)
    offset = config.stimulus.offset if config.stimulus.kind == "sine" else 0.0
    amps = np.linspace(0.0, config.fi_max, config.fi_points)
    a = simulate(config.a, x)
    b = simulate(config.b, x) if config.b is not None else None
    rate_b = fi_curve(config.b, unit, amps, offset) if config.b is not None else None
    return ExplorerResult(x, a, b, amps, fi_curve(config.a, unit, amps, offset), rate_b)


@dataclass(frozen=True)
class EulerComparison:
    """Exact and forward-Euler traces for one dt, and the error over a range of dt."""

    time_ms: np.ndarray
    exact: SimulationResult
    euler: SimulationResult
    dts: np.ndarray
    max_error_mv: np.ndarray


def compare_euler(
    ode: MembraneODE, current_na: float, duration_ms: float, reset: str, dt_max_ratio: float = 3.0
) -> EulerComparison:
    """Step current of ``current_na`` for ``duration_ms``, integrated both ways."""
    if not duration_ms >= ode.physical.dt:
        raise ValueError("The duration must be at least one time step.")
    steps = int(duration_ms / ode.physical.dt)
    current = np.full(steps, float(current_na))
    dts = np.geomspace(0.01, dt_max_ratio, 100) * ode.physical.tau_mem
    return EulerComparison(
        time_ms=np.arange(1, steps + 1) * ode.physical.dt,
        exact=integrate(ode, current, "exact", reset),
        euler=integrate(ode, current, "euler", reset),
        dts=dts,
        max_error_mv=euler_error_curve(ode, current_na, duration_ms, dts),
    )
