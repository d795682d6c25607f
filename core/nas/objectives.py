"""What a search optimises: validation accuracy alone, or accuracy and energy per frame.

With ``objectives=("accuracy", "energy")`` a study maximises validation accuracy and minimises
the energy of one frame, computed from the trial's **own measured spikes per layer on the
validation set** by a hardware model of ``core.hardware``, through the same two calls as
``python -m core energy --run ID`` and the Hardware page: ``workload_from_run`` then the model's
``estimate`` (``price_run`` below; a trial is priced from the very configuration and metrics
its run stores, so the two agree to the last digit).

Which models can price a trial is the hardware registry's answer, not a list kept here: a
spiking model prices NAS trials when its ``check`` accepts a NAS network (``PRICING``, from
``core.hardware.registry``). Today that is ``ops``, operation counts with NeuroBench's
conventions (effective ACs at E_AC, the image's MACs into the first layer at E_MAC; Horowitz's
45 nm energies; no latency). ``--hardware`` also offers ``yoso`` (a choice since the first
energy search, kept as a command-line contract): the YOSO mesh's ``check`` refuses every NAS
network, since it maps fully connected networks only, and naming it gives that reason (as
``energy --run`` refuses such a run). Loihi's ``check`` refuses the image fed as currents.

The DNN baseline has no spikes: it is priced as MACs, every synapse of the same-shape network
once per frame at E_MAC (``core.hardware.ops.AnnModel``), whatever the hardware named.

Hypervolume reference (``reference_energy``): accuracy 0 and the ANN energy (MACs) of the
largest architecture of the space (every layer with the most filters and the widest kernel) on
the preset's input. It depends on the data set and the preset alone, so hypervolumes of any
studies of one preset compare; and it bounds every trial of the space under ``ops`` (an SNN
neuron fires at most once a step, and an AC costs less than a MAC: 0.9 against 4.6 pJ).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.data.registry import DATASET_INFO
from core.hardware import AnnModel, EnergyReport, conv_workload, make_model
from core.hardware.registry import model_names
from core.hardware.runs import workload_from_run

OBJECTIVES: tuple[str, ...] = ("accuracy", "energy")
SINGLE: tuple[str, ...] = ("accuracy",)
#: A network of the NAS's kind, the smallest: an 8x8 image fed as currents into a conv layer
#: of 4 3x3 filters, 2x2 pooling, a head of 10 classes. A model prices NAS trials when its
#: ``check`` accepts it.
NAS_NETWORK = conv_workload((1, 8, 8), [(4, 3)], [0], 10, [0.0], 1, "a NAS network")


def refusal(hardware: str) -> str | None:
    """Why the registry's model ``hardware`` cannot price a NAS trial (its ``check``'s
    sentence), or None when it can."""
    try:
        make_model(hardware).check(NAS_NETWORK)
    except ValueError as exc:
        return str(exc)
    return None


#: The registry's spiking models that price a NAS trial (their ``check`` accepts NAS_NETWORK).
PRICING: tuple[str, ...] = tuple(n for n in model_names(baseline=False) if refusal(n) is None)
#: The hardware models a multi-objective search may name (``--hardware``, a command-line
#: contract): those that price a trial, and YOSO, offered since the first energy search and
#: refused by its own ``check`` with the reason.
HARDWARE: tuple[str, ...] = PRICING + tuple(n for n in ("yoso",) if n not in PRICING)
DEFAULT_HARDWARE = "ops"
#: The user attributes a priced trial records (and its run's metrics).
ENERGY_KEYS = ("energy_j", "latency_s", "synaptic_ops", "ann_energy_j", "dense_macs",
               "energy_breakdown", "energy_per_layer", "hardware")


def parse_objectives(text: str) -> tuple[str, ...]:
    """``accuracy`` or ``accuracy,energy`` as a tuple; anything else a ``ValueError``."""
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if names not in (SINGLE, OBJECTIVES):
        raise ValueError(f"Objectives are 'accuracy' or 'accuracy,energy', got {text!r}.")
    return names


def check_objectives(objectives: Sequence[str], hardware: str | None) -> None:
    """Raise ``ValueError`` with the reason when the pair cannot drive a search."""
    if tuple(objectives) not in (SINGLE, OBJECTIVES):
        raise ValueError(f"Objectives are ('accuracy',) or ('accuracy', 'energy'), "
                         f"got {tuple(objectives)!r}.")
    if tuple(objectives) == SINGLE:
        if hardware is not None:
            raise ValueError("A hardware model prices energy: give --objectives "
                             "accuracy,energy with --hardware.")
        return
    if hardware not in HARDWARE:
        raise ValueError(f"Unknown hardware {hardware!r}; choose one of {', '.join(HARDWARE)}.")
    reason = refusal(hardware)
    if reason is not None:
        raise ValueError(f"{reason} A NAS search prices its trials with --hardware "
                         f"{' or '.join(PRICING)}.")


@dataclass(frozen=True)
class TrialRun:
    """A trial as ``workload_from_run`` reads a stored run: its id, kind, config, metrics."""

    id: int | None
    config: Mapping[str, Any]
    metrics: Mapping[str, Any]
    kind: str = "nas"


def price_run(run: Any, hardware: str = DEFAULT_HARDWARE) -> EnergyReport:
    """One frame of a NAS run (a stored ``Run`` or a ``TrialRun``) on ``hardware``.

    An SNN: ``make_model(hardware).estimate(workload_from_run(run))``, the calls of
    ``energy --run``. The DNN: the same-shape workload priced as MACs (``AnnModel``).
    """
    if (run.config.get("architecture") or {}).get("model") == "dnn":
        layers = run.config["architecture"]["layers"]
        shaped = TrialRun(run.id, {**run.config, "architecture": {
            **run.config["architecture"], "model": "snn"}}, run.metrics)
        return AnnModel().estimate(workload_from_run(shaped, [0.0] * len(layers)))
    return make_model(hardware).estimate(workload_from_run(run))


def energy_attrs(report: EnergyReport, hardware: str) -> dict[str, Any]:
    """What a priced trial records: energy, latency, synaptic ops, breakdown per kind/layer."""
    return {
        "energy_j": report.energy_per_frame_j,
        "latency_s": report.latency_s,
        "synaptic_ops": report.synaptic_ops,
        "ann_energy_j": report.ann_energy_j,
        "dense_macs": report.dense_macs,
        "energy_breakdown": dict(report.breakdown),
        "energy_per_layer": {layer.name: layer.energy_j for layer in report.layers},
        "hardware": report.model if report.model == "ann" else hardware,
    }


def input_shape(dataset: str, input_pool: int) -> tuple[int, int, int]:
    """The image shape a preset trains on: the data set's, averaged over input_pool blocks."""
    info = DATASET_INFO.get(dataset)
    if info is None or info.kind != "image":
        raise ValueError(f"{dataset!r} is not an image data set.")
    c, h, w = info.image_shape
    return c, h // input_pool, w // input_pool


def reference_energy(dataset: str, input_pool: int, layers: int, filters: Sequence[int],
                     kernels: Sequence[int], pool_after: Sequence[int]) -> float:
    """The hypervolume's energy reference: the ANN energy (MACs at E_MAC) of the space's
    largest architecture (``layers`` layers of max(filters) filters, max(kernels) kernels)."""
    shape = input_shape(dataset, input_pool)
    largest = [(max(filters), max(kernels))] * layers
    classes = DATASET_INFO[dataset].num_classes
    workload = conv_workload(shape, largest, pool_after, classes, [0.0] * layers, 1,
                             "largest architecture")
    return AnnModel().estimate(workload).energy_per_frame_j
