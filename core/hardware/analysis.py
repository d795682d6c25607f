"""Questions asked of a model: how energy moves with spike rate, and how it compares with a
published measurement.

Calibration runs the published network (``constants.RELPSP_YOSO_MNIST``: 784-800-10, 0.751 mW,
47.71 ms per image) through a model and reports model / published for energy, latency and
power. The published figures are inputs; the ratios are whatever the model computes. Spikes per
frame are not published, so by default every neuron fires once (YOSO's one-spike bound: an
upper bound on the traffic of a time-to-first-spike network); pass measured counts to do better.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from core.hardware.base import EnergyModel, EnergyReport
from core.hardware.constants import RELPSP_YOSO_MNIST, PublishedFigure
from core.hardware.workload import Workload, fc_workload


@dataclass(frozen=True)
class SweepPoint:
    """One point of a spike-rate sweep."""

    factor: float
    spikes: float  # all layers' spikes per frame
    rate: float  # spikes per neuron per time step, input excluded
    energy_j: float
    latency_s: float | None
    ann_energy_j: float
    breakdown: dict[str, float]


def sweep(model: EnergyModel, workload: Workload, factors: Sequence[float],
          on_point: Callable[[int, int], None] | None = None) -> list[SweepPoint]:
    """Energy (and latency) with every layer's spikes scaled by each factor (capped at one spike
    per neuron per step).

    Factors whose capped workloads coincide are estimated once. ``on_point(done, total)`` is
    called after each estimate, so a caller can show progress and stop between frames.
    """
    scaled = [workload.scaled(float(factor)) for factor in factors]
    reports: dict[tuple[float, ...], EnergyReport] = {}
    distinct = {w.spikes: w for w in scaled}
    for done, (key, work) in enumerate(distinct.items(), start=1):
        reports[key] = model.estimate(work)
        if on_point is not None:
            on_point(done, len(distinct))
    hidden = sum(layer.neurons for layer in workload.layers[1:]) * workload.time_steps
    return [_point(float(factor), w, reports[w.spikes], hidden)
            for factor, w in zip(factors, scaled, strict=True)]


def _point(factor: float, scaled: Workload, report: EnergyReport, hidden: int) -> SweepPoint:
    fired = sum(scaled.spikes[1:])
    return SweepPoint(
        factor=factor,
        spikes=float(sum(scaled.spikes)),
        rate=fired / hidden if hidden else 0.0,
        energy_j=report.energy_per_frame_j,
        latency_s=report.latency_s,
        ann_energy_j=report.ann_energy_j,
        breakdown=dict(report.breakdown),
    )


@dataclass(frozen=True)
class Calibration:
    """A model's figures for a published network, beside the published ones."""

    figure: PublishedFigure
    spikes: tuple[float, ...]
    report: EnergyReport

    @property
    def energy_ratio(self) -> float:
        return self.report.energy_per_frame_j / self.figure.energy_per_frame_j

    @property
    def latency_ratio(self) -> float | None:
        if self.report.latency_s is None:
            return None
        return self.report.latency_s / self.figure.latency_s

    @property
    def power_ratio(self) -> float | None:
        power = self.report.power_w
        return None if power is None else power / self.figure.power_w

    def to_dict(self) -> dict[str, object]:
        return {
            "published": {
                "network": "-".join(map(str, self.figure.sizes)),
                "power_w": self.figure.power_w,
                "latency_s": self.figure.latency_s,
                "energy_per_frame_j": self.figure.energy_per_frame_j,
                "source": self.figure.source,
            },
            "spikes": list(self.spikes),
            "model_energy_per_frame_j": self.report.energy_per_frame_j,
            "model_latency_s": self.report.latency_s,
            "model_power_w": self.report.power_w,
            "energy_ratio": self.energy_ratio,
            "latency_ratio": self.latency_ratio,
            "power_ratio": self.power_ratio,
        }


def calibrate(
    model: EnergyModel,
    spikes: Sequence[float] | None = None,
    figure: PublishedFigure = RELPSP_YOSO_MNIST,
) -> Calibration:
    """Run ``figure``'s network through ``model``; spikes default to one per neuron."""
    counts = tuple(float(s) for s in (figure.sizes if spikes is None else spikes))
    workload = fc_workload(figure.sizes, counts, label=figure.label)
    return Calibration(figure, counts, model.estimate(workload))


class LayerBars(NamedTuple):
    """Per layer of a report: spikes in one frame, synaptic operations (ACs) and MACs."""

    names: list[str]
    spikes: list[float]
    synaptic_ops: list[float]
    macs: list[float]


def layer_bars(report: EnergyReport) -> LayerBars:
    """The bars of the per-layer figure (a layer with no spike count shows 0)."""
    layers = report.layers
    return LayerBars([x.name for x in layers], [x.spikes or 0 for x in layers],
                     [x.synaptic_ops for x in layers], [x.macs for x in layers])


def energy_breakdown(reports: dict[str, EnergyReport]) -> dict[str, list[float]]:
    """Per energy category (in first-seen order): its joules in each report (0 if absent)."""
    categories = dict.fromkeys(k for r in reports.values() for k in r.breakdown)
    return {c: [r.breakdown.get(c, 0.0) for r in reports.values()] for c in categories}


class MeshView(NamedTuple):
    """The YOSO mesh as grids [rows, cols]: PE busy fraction, its label, router packets."""

    utilisation: np.ndarray
    layers: np.ndarray  # "L<layer>" for the layer a PE holds (L1: first hidden), or "idle"
    router_packets: np.ndarray


def mesh_view(mesh: dict[str, Any]) -> MeshView:
    """The grids of a YOSO report's ``extra["mesh"]`` (PEs past the placed ones are idle)."""
    util = np.array(mesh["utilisation"])
    layer = np.zeros(util.size, dtype=int)
    layer[: len(mesh["pe_layer"])] = mesh["pe_layer"]
    names = [f"L{n}" if n else "idle" for n in layer]
    return MeshView(util, np.reshape(names, util.shape), np.array(mesh["router_packets"]))
