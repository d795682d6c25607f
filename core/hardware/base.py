"""The energy-model interface and the report every model returns.

An ``EnergyModel`` answers one question: what does one frame of this network cost on this
hardware? Implementations hold their hardware parameters (frozen, validated dataclasses) and
implement two methods, in this call order:

1. ``check(workload)`` raises ``ValueError`` with a sentence a user can act on when the network
   cannot run on the hardware (it does not fit, or its kind of layer is not supported);
2. ``estimate(workload)`` calls ``check`` and returns an ``EnergyReport``.

Operation counts follow NeuroBench (Yik et al., "The NeuroBench framework for benchmarking
neuromorphic computing algorithms and systems", Nature Communications 16, 1545, 2025): effective
synaptic operations count only non-zero activations (a spike drives one accumulate, AC, per
synapse it reaches; a non-binary input drives multiply-accumulates, MACs), dense operations
count every synapse of the ANN of the same shape, and activation sparsity is the fraction of
neuron-steps (input excluded) without a spike.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.hardware.constants import PublishedFigure
from core.hardware.workload import Workload


@dataclass(frozen=True)
class LayerOps:
    """Per-layer counts of one frame: the layer's spikes and what its projection costs."""

    name: str
    neurons: int
    spikes: float | None
    synaptic_ops: float  # effective ACs driven by this layer's spikes
    macs: float  # effective MACs of this layer's projection (non-spike input)
    dense_macs: int  # the ANN's MACs for the same projection
    ops_per_step: float  # (ACs + MACs) / time steps
    sparsity: float | None  # 1 - spikes / (neurons * steps); None when the layer is not spiking
    energy_j: float  # dynamic energy this model charges to the projection

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class EnergyReport:
    """One frame of one network on one hardware model."""

    model: str
    label: str
    energy_per_frame_j: float
    latency_s: float | None
    synaptic_ops: float
    effective_macs: float
    dense_macs: int
    ann_energy_j: float
    activation_sparsity: float
    breakdown: dict[str, float]
    layers: tuple[LayerOps, ...]
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def power_w(self) -> float | None:
        """Mean power while the frame runs (energy / latency), when the model has a latency."""
        if not self.latency_s:
            return None
        return self.energy_per_frame_j / self.latency_s

    @property
    def ann_ratio(self) -> float | None:
        """ANN energy / this energy: how many times less this costs than the ANN."""
        return self.ann_energy_j / self.energy_per_frame_j if self.energy_per_frame_j else None

    def to_dict(self) -> dict[str, Any]:
        """The command line's JSON object."""
        return {
            "hardware": self.model,
            "network": self.label,
            "energy_per_frame_j": self.energy_per_frame_j,
            "latency_s": self.latency_s,
            "power_w": self.power_w,
            "synaptic_ops": self.synaptic_ops,
            "effective_macs": self.effective_macs,
            "dense_macs": self.dense_macs,
            "ann_energy_j": self.ann_energy_j,
            "ann_ratio": self.ann_ratio,
            "activation_sparsity": self.activation_sparsity,
            "breakdown": dict(self.breakdown),
            "per_layer": [layer.to_dict() for layer in self.layers],
            "notes": list(self.notes),
            **self.extra,
        }


class EnergyModel(abc.ABC):
    """Energy (and, where modelled, latency) of one frame on one kind of hardware.

    A model describes itself to the registry (``core.hardware.registry``), which the page, the
    command line, the demos and the figures ask: its ``name`` (the ``--hardware`` choice and
    the JSON ``hardware``), ``label`` (figures and captions), ``summary`` (one sentence with its
    source), ``params`` (its frozen parameter dataclass, whose ``knob`` fields become widgets,
    flags and link fields), ``maps`` (the networks it can price), ``reports`` (what its report
    holds beyond energy: ``"latency"``, ``"mesh"``), ``baseline`` (the ANN every SNN is
    compared with) and ``published`` (a measurement to calibrate against, if any). The
    constructor takes one argument, the params (defaults when None).
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    params: ClassVar[type]
    maps: ClassVar[str] = "any layered network"
    reports: ClassVar[tuple[str, ...]] = ()
    baseline: ClassVar[bool] = False
    published: ClassVar[PublishedFigure | None] = None
    #: The key a saved estimate's config keeps this model's parameters under, besides
    #: ``hardware.<name>`` (YOSO's ``mesh``, older than the registry).
    settings_key: ClassVar[str | None] = None
    #: The most simulation one frame may take (``frame_cost``), None when unbounded, and its unit.
    max_frame_cost: ClassVar[int | None] = None
    cost_unit: ClassVar[str] = ""
    config: Any

    def __init__(self, config: Any = None) -> None:
        """The model with ``config``, its params (``params()``'s defaults when None)."""
        self.config = config if config is not None else self.params()

    def frame_cost(self, workload: Workload) -> int:
        """How much simulation one frame takes (YOSO: spike packets); 0 when it is a formula."""
        return 0

    def work_note(self, workload: Workload) -> str | None:
        """What pricing one frame involves, for a progress line; None when it is instant."""
        return None

    def settings(self) -> dict[str, Any]:
        """The model's parameters as JSON (a saved estimate keeps them)."""
        return dict(self.config.__dict__)

    @abc.abstractmethod
    def check(self, workload: Workload) -> None:
        """Raise ValueError, saying what to change, when ``workload`` cannot run here."""

    @abc.abstractmethod
    def estimate(self, workload: Workload) -> EnergyReport:
        """The report of one frame; calls ``check`` first."""


@dataclass(frozen=True)
class OpCounts:
    """NeuroBench-style counts of one frame, shared by every model."""

    layers: tuple[LayerOps, ...]
    synaptic_ops: float
    effective_macs: float
    dense_macs: int
    activation_sparsity: float


def count_ops(workload: Workload, e_ac_j: float, e_mac_j: float) -> OpCounts:
    """Effective ACs/MACs, dense MACs and sparsity; layer energies at ``e_ac_j``/``e_mac_j``."""
    steps = workload.time_steps
    layers, fired, slots = [], 0.0, 0
    for index, layer in enumerate(workload.layers):
        acs = (layer.spikes or 0.0) * layer.fan_out
        sparsity = None
        if layer.spikes is not None:
            sparsity = 1.0 - layer.spikes / (layer.neurons * steps)
            if index > 0:  # NeuroBench: the sparsity of neuron activations, not of the input
                fired += layer.spikes
                slots += layer.neurons * steps
        layers.append(LayerOps(
            name=layer.name,
            neurons=layer.neurons,
            spikes=layer.spikes,
            synaptic_ops=acs,
            macs=float(layer.snn_macs),
            dense_macs=layer.ann_macs,
            ops_per_step=(acs + layer.snn_macs) / steps,
            sparsity=sparsity,
            energy_j=acs * e_ac_j + layer.snn_macs * e_mac_j,
        ))
    return OpCounts(
        layers=tuple(layers),
        synaptic_ops=sum(x.synaptic_ops for x in layers),
        effective_macs=sum(x.macs for x in layers),
        dense_macs=sum(x.dense_macs for x in layers),
        activation_sparsity=1.0 - fired / slots if slots else 0.0,
    )


def counted_report(model: EnergyModel, workload: Workload, counts: OpCounts,
                   breakdown: dict[str, float], e_mac_j: float, *,
                   latency_s: float | None = None, layers: tuple[LayerOps, ...] | None = None,
                   notes: tuple[str, ...] = (), extra: dict[str, Any] | None = None
                   ) -> EnergyReport:
    """A spiking model's report: its energy is the sum of ``breakdown``, its operation counts
    are ``counts``, its ANN baseline every dense MAC at ``e_mac_j``."""
    return EnergyReport(
        model=model.name,
        label=workload.label,
        energy_per_frame_j=sum(breakdown.values()),
        latency_s=latency_s,
        synaptic_ops=counts.synaptic_ops,
        effective_macs=counts.effective_macs,
        dense_macs=counts.dense_macs,
        ann_energy_j=counts.dense_macs * e_mac_j,
        activation_sparsity=counts.activation_sparsity,
        breakdown=breakdown,
        layers=counts.layers if layers is None else layers,
        notes=notes,
        extra=extra or {},
    )
