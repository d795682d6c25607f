"""The scaling suite's curves, as the Benchmarks page draws them: step time against each swept
quantity with its fitted exponent (time ~ value^k), the fast engine's and the reference
engine's. Computed from a result that ``core.bench.results`` checked; drawn by
``app/figures/benchmarks.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.bench.results import QUANTITY_LABELS, number
from core.checks import is_finite


@dataclass(frozen=True)
class Curve:
    """One sweep of the scaling suite: step time against one quantity, and its exponent."""

    quantity: str
    values: list[float]
    seconds: list[float]
    exponent: float
    base: float | None  # the quantity's value in the base workload

    @property
    def label(self) -> str:
        return QUANTITY_LABELS.get(self.quantity, self.quantity)

    @property
    def legend(self) -> str:
        return f"{self.label}: k = {self.exponent:.2f}"


def scaling_curves(result: Mapping[str, Any]) -> list[Curve]:
    """The scaling suite's sweeps, in the suite's order, each with its fitted exponent."""
    base = result.get("base") if isinstance(result.get("base"), Mapping) else {}
    return [Curve(str(q), [float(v) for v in s["values"]], [float(t) for t in s["median_s"]],
                  float(s["exponent"]), _positive_or_none(base.get(q)))
            for q, s in result["sweeps"].items()]


def reference_exponents(result: Mapping[str, Any]) -> dict[str, float]:
    """The reference engine's exponents (``reference_exponents``), finite numbers only; empty
    for a result saved before the scaling suite measured them."""
    found = result.get("reference_exponents")
    if not isinstance(found, Mapping):
        return {}
    return {str(q): float(k) for q, k in found.items()
            if is_finite(k)}


def _positive_or_none(value: Any) -> float | None:
    try:
        return number(value, "", positive=True)
    except ValueError:
        return None


def scaling_rows(curves: list[Curve]) -> list[dict[str, Any]]:
    """The curves as a table: quantity, value, seconds per step and the sweep's exponent."""
    return [{"quantity": c.label, "value": v, "seconds": s, "exponent": c.exponent}
            for c in curves for v, s in zip(c.values, c.seconds, strict=True)]
