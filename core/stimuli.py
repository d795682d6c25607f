"""Input generators for single-neuron experiments: step, ramp, sine, Poisson, spike times.

Each generator is described by a frozen ``InputSpec`` and produces one value per time step.
``unit_pattern`` gives the pattern at amplitude 1, so a batch of amplitudes (an f-I curve)
is one broadcast multiply. Poisson trains draw from their own seeded generator, never the
global random state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.checks import (
    check_choice,
    check_finite,
    check_positive,
    check_probability,
    check_whole,
    is_finite,
    is_whole,
)
from core.neurons.params import MAX_SEED, check_steps

INPUT_KINDS: tuple[str, ...] = ("step", "ramp", "sine", "poisson", "spikes")


@dataclass(frozen=True)
class InputSpec:
    """An input current.

    Attributes:
        kind: ``step`` (constant from ``onset``), ``ramp`` (0 up to ``amplitude`` at the last
            step), ``sine`` (``offset + amplitude * sin(2 pi t / period)``), ``poisson``
            (spikes of weight ``amplitude`` with probability ``rate`` per step) or ``spikes``
            (user-given ``times`` with ``weights``, scaled by ``amplitude``).
    """

    kind: str = "step"
    amplitude: float = 0.15
    onset: int = 0
    period: float = 50.0
    offset: float = 0.0
    rate: float = 0.1
    seed: int = 0
    times: tuple[int, ...] = field(default_factory=tuple)
    weights: tuple[float, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        check_choice("The input", self.kind, INPUT_KINDS)
        check_finite("The input's amplitude", self.amplitude)
        check_finite("The input's offset", self.offset)
        check_probability("The Poisson rate", self.rate, hint="a probability per step")
        check_positive("The sine period (in steps)", self.period)
        object.__setattr__(self, "onset", check_whole("The onset step", self.onset, 0))
        object.__setattr__(self, "seed", check_whole("The seed", self.seed, 0, MAX_SEED))
        if len(self.times) != len(self.weights):
            raise ValueError(
                f"Give one weight per spike time ({len(self.times)} times, "
                f"{len(self.weights)} weights)."
            )
        if not all(is_whole(t, 0) for t in self.times):
            raise ValueError("Spike times must be whole steps, 0 or later.")
        if not all(is_finite(w) for w in self.weights):
            raise ValueError("The input's weights must be finite numbers (no nan or inf).")


def unit_pattern(spec: InputSpec, steps: int) -> np.ndarray:
    """The input at amplitude 1 (offset excluded), shape [steps]."""
    steps = check_steps(steps)
    t = np.arange(steps, dtype=np.float64)
    if spec.kind == "step":
        return (t >= spec.onset).astype(np.float64)
    if spec.kind == "ramp":
        return t / max(steps - 1, 1)
    if spec.kind == "sine":
        return np.sin(2.0 * np.pi * t / spec.period)
    if spec.kind == "poisson":
        rng = np.random.default_rng(spec.seed)
        return (rng.random(steps) < spec.rate).astype(np.float64)
    pattern = np.zeros(steps)
    times = np.asarray(spec.times, dtype=np.int64)
    inside = times < steps
    np.add.at(pattern, times[inside], np.asarray(spec.weights, dtype=np.float64)[inside])
    return pattern


def make_input(spec: InputSpec, steps: int) -> np.ndarray:
    """The input current of ``spec`` over ``steps`` time steps."""
    offset = spec.offset if spec.kind == "sine" else 0.0
    return offset + spec.amplitude * unit_pattern(spec, steps)
