"""How the cost of a training step grows: ``python -m core bench --suite scaling``.

One quantity at a time (time steps T, hidden size, batch, input density) is swept over
``FACTORS`` times its value in the base workload, the others held at the base. The points of a
sweep are timed in round-robin rounds after a warm-up, median of the rounds, and the exponent
``k`` of ``time ~ value**k`` is the slope of the least-squares line through
(log value, log time). A step is the peers suite's: forward, backward and one Adam update.
The reference engine (``REFERENCE_QUANTITIES``: T only) is swept beside the fast one, so its
exponent in T shows whether its backward pass stays linear in the steps (issue 28).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import torch

from core.bench.peers import load
from core.bench.timing import Say, round_robin
from core.bench.workload import PeerConfig, cpu_features, cpu_name, make_problem

#: The swept quantities (PeerConfig fields).
QUANTITIES: tuple[str, ...] = ("steps", "hidden", "batch", "density")
#: Each sweep's values, as multiples of the base value.
FACTORS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)
#: The quantities also swept for the reference engine (the per-step loop's cost is in T).
REFERENCE_QUANTITIES: tuple[str, ...] = ("steps",)


def fit_exponent(values: Sequence[float], seconds: Sequence[float]) -> float:
    """The slope of log(seconds) against log(values): the exponent of a power law."""
    if len(values) != len(seconds) or len(set(values)) < 2:
        raise ValueError("A fit needs at least two distinct values, each with a time.")
    if min(values) <= 0 or min(seconds) <= 0:
        raise ValueError("A log-log fit needs positive values and times.")
    slope, _ = np.polyfit(np.log(values), np.log(seconds), 1)
    return float(slope)


def sweep_values(base: PeerConfig, quantity: str, factors: Sequence[float]) -> list[float]:
    """The values a sweep visits: ``factors`` times the base value (whole numbers for sizes,
    density at most 1), without repeats."""
    start = getattr(base, quantity)
    if quantity == "density":
        values = [min(1.0, start * f) for f in factors]
    else:
        values = [max(1, round(start * f)) for f in factors]
    return sorted(set(values))


def time_sweep(
    base: PeerConfig,
    quantity: str,
    factors: Sequence[float],
    timing: tuple[int, int],
    progress: Say,
    implementation: str = "spikelab_fast",
) -> dict[str, Any]:
    """Median seconds per step at each value of ``quantity``, and the fitted exponent."""
    warmup, repeats = timing
    build = load(implementation)
    values = sweep_values(base, quantity, factors)
    fns: dict[str, Callable[[], object]] = {
        str(v): build(make_problem(replace(base, **{quantity: v}))) for v in values
    }
    progress(f"sweeping {quantity}: {', '.join(fns)}")
    seconds, _ = round_robin(fns, warmup, repeats, progress)
    times = [seconds[str(v)] for v in values]
    return {"values": values, "median_s": times, "exponent": fit_exponent(values, times)}


def run_scaling(
    base: PeerConfig,
    factors: Sequence[float],
    repeats: int,
    warmup: int,
    progress: Say,
) -> dict[str, Any]:
    """Every sweep: the JSON object ``bench --suite scaling`` prints.

    ``exponents``/``sweeps`` are the fast engine's (keys unchanged since the suite began);
    ``reference_exponents``/``reference_sweeps`` the reference engine's, for T.
    """
    load_before = os.getloadavg()
    torch.manual_seed(base.seed)
    timing = (warmup, repeats)
    sweeps = {q: time_sweep(base, q, factors, timing, progress) for q in QUANTITIES}
    reference = {q: time_sweep(base, q, factors, timing, progress, "spikelab_reference")
                 for q in REFERENCE_QUANTITIES}
    return {
        "suite": "scaling",
        "implementation": "spikelab_fast",
        "exponents": {q: s["exponent"] for q, s in sweeps.items()},
        "sweeps": sweeps,
        "reference_implementation": "spikelab_reference",
        "reference_exponents": {q: s["exponent"] for q, s in reference.items()},
        "reference_sweeps": reference,
        "base": asdict(base),
        "cpu": cpu_name(),
        "cpu_features": cpu_features(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "config": {"factors": list(factors), "repeats": repeats, "warmup": warmup},
    }
