"""What the neuron parameter dataclasses share: their common fields, checks and units.

Each model's parameters are a frozen dataclass in the model's own file, built from the field
helpers here (``knob`` carries label, help and range, so pages and flags are generated from
it) and checked by ``check_params``. Frozen dataclasses are hashable, so they double as cache
keys (``st.cache_data``) and as Optuna ``user_attrs``. Every check raises ``ValueError`` with
a sentence a user understands.

Discrete-time decay factors follow the exact solution of a leaky integrator with time step
``dt``: beta = exp(-dt / tau_mem) and alpha = exp(-dt / tau_syn) (SpyTorch tutorial 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from core import checks
from core.checks import check_choice, check_positive, check_probability, check_range, check_whole
from core.fieldmeta import knob  # the one builder of a parameter field (re-exported)

Reset = Literal["hard", "soft", "none"]
RESETS: tuple[str, ...] = ("hard", "soft", "none")


def beta_field() -> Any:
    return knob(
        math.exp(-1.0 / 10.0),
        "β (membrane decay)",
        "membrane decay per step, exp(-dt/tau_mem)",
        0.0,
        1.0,
        0.01,
    )


def alpha_field() -> Any:
    return knob(
        math.exp(-1.0 / 5.0),
        "α (synaptic decay)",
        "synaptic decay per step, exp(-dt/tau_syn)",
        0.0,
        1.0,
        0.01,
    )


def threshold_field() -> Any:
    return knob(1.0, "Threshold θ", "firing threshold", 0.05, 5.0, 0.05)


def reset_field() -> Any:
    meta = {
        "label": "Reset",
        "help": "after a spike: soft subtracts θ, hard restarts from 0",
        "choices": RESETS,
    }
    return field(default="soft", metadata=meta)


def dt_field() -> Any:
    return knob(1.0, "Δt (ms per step)", "ms per step", 0.1, 5.0, 0.1)


def check_decay(name: str, value: object) -> float:
    """``value`` if it is a decay per step, 0 to 1 (the leaky models' beta and alpha)."""
    return check_probability(name, value, hint="1 means no decay")


_CHECKS: dict[str, Callable[[Any], object]] = {
    "beta": lambda v: check_decay("beta (membrane decay)", v),
    "alpha": lambda v: check_decay("alpha (synaptic decay)", v),
    "threshold": lambda v: check_positive("The threshold", v),
    "reset": lambda v: check_choice("The reset", v, RESETS),
    "dt": lambda v: check_positive("The time step dt", v),
    "adapt_tau": lambda v: check_positive("The adaptation time constant tau_adapt", v),
    "adapt_b": lambda v: check_range("The adaptation b", v, 0),
}


def check_values(**values: Any) -> None:
    """``ValueError`` (one sentence) for the first impossible value of a shared field."""
    for name, value in values.items():
        check = _CHECKS.get(name)
        if check is not None:
            check(value)


def check_params(params: Any) -> None:
    """``check_values`` on every field of a params dataclass."""
    check_values(**{f.name: getattr(params, f.name) for f in fields(params)})


@dataclass(frozen=True)
class PhysicalParams:
    """Time constants in milliseconds, from which the discrete decays follow.

    Defaults are SpyTorch's: tau_mem = 10 ms, tau_syn = 5 ms, dt = 1 ms.
    """

    tau_mem: float = 10.0
    tau_syn: float = 5.0
    dt: float = 1.0

    def __post_init__(self) -> None:
        check_positive("The membrane time constant tau_mem", self.tau_mem)
        check_positive("The synaptic time constant tau_syn", self.tau_syn)
        check_positive("The time step dt", self.dt)

    @property
    def beta(self) -> float:
        """Membrane decay per step, exp(-dt / tau_mem)."""
        return math.exp(-self.dt / self.tau_mem)

    @property
    def alpha(self) -> float:
        """Synaptic decay per step, exp(-dt / tau_syn)."""
        return math.exp(-self.dt / self.tau_syn)


#: The most time steps one simulation or encoding takes: 100,000 steps of one neuron run in
#: well under a second and print a few MB of JSON; ten million took 87 s and 1.6 GB.
MAX_STEPS = 100_000
#: The most epochs one training run takes (surrogate gradients or ReL-PSP): ten thousand
#: epochs of the small digits network already take a quarter of an hour.
MAX_EPOCHS = 10_000
#: The largest parameter a training run takes (a learning rate, a time constant): float32's
#: largest number, 3.4e38 (``core.checks.MAX_FLOAT32``); a larger one cannot become a tensor.
MAX_FLOAT32 = checks.MAX_FLOAT32
#: Seeds are whole numbers 0 to 2**32 - 1, the range every generator SpikeLab uses accepts
#: (NumPy's legacy RandomState, hence Optuna's samplers, refuses more).
MAX_SEED = 2**32 - 1


def check_steps(steps: int) -> int:
    """Return ``steps`` if it is a usable number of time steps (1 to ``MAX_STEPS``)."""
    return check_whole("The number of time steps", steps, 1, MAX_STEPS)
