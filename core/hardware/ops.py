"""Operation-count energy models: the field's standard estimate and its ANN baseline.

The SNN estimate (``OpsModel``, name ``"ops"``) charges every effective accumulate one E_AC and
every effective multiply-accumulate one E_MAC::

    E_snn = E_AC * sum_l spikes_l * fan_out_l  +  E_MAC * (MACs on non-spike inputs)

The ANN of the same shape (``AnnModel``, name ``"ann"``) does every synapse of every layer once
per frame as a MAC: E_ann = E_MAC * sum_l neurons_l * fan_out_l. Defaults are Horowitz's 45 nm
figures (ISSCC 2014): E_AC = 0.9 pJ, E_MAC = 4.6 pJ. Memory and data movement are not counted;
this is the compute-only estimate papers quote (e.g. Rathi & Roy; NeuroBench's synaptic ops).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.hardware.base import EnergyModel, EnergyReport, count_ops, counted_report
from core.hardware.params import check_knobs, e_ac_field, e_mac_field
from core.hardware.workload import Workload


@dataclass(frozen=True)
class OpsConfig:
    """Energy per accumulate and per multiply-accumulate, in joules."""

    e_ac_j: float = e_ac_field()
    e_mac_j: float = e_mac_field()

    def __post_init__(self) -> None:
        check_knobs(self)


class OpsModel(EnergyModel):
    """Spikes x fan-out accumulates (plus MACs on non-spike inputs), at E_AC / E_MAC each."""

    name = "ops"
    label = "SNN op count"
    summary = ("the field's standard estimate: every spike's synapses at E_AC, non-spike inputs "
               "at E_MAC; compute only, no latency (Horowitz, ISSCC 2014)")
    params = OpsConfig

    def check(self, workload: Workload) -> None:
        """Any layered network can be counted."""

    def estimate(self, workload: Workload) -> EnergyReport:
        """Every effective AC at E_AC, every effective MAC at E_MAC."""
        self.check(workload)
        cfg = self.config
        counts = count_ops(workload, cfg.e_ac_j, cfg.e_mac_j)
        ac_j, mac_j = counts.synaptic_ops * cfg.e_ac_j, counts.effective_macs * cfg.e_mac_j
        return counted_report(
            self, workload, counts,
            {"accumulates (AC)": ac_j, "multiply-accumulates (MAC)": mac_j}, cfg.e_mac_j,
            notes=("Compute only: memory access and data movement are not counted; no latency.",),
        )


class AnnModel(EnergyModel):
    """The ANN of the same shape: every synapse once per frame as a MAC at E_MAC."""

    name = "ann"
    label = "ANN, same shape"
    summary = "the ANN of the same shape: every synapse once per frame at E_MAC"
    params = OpsConfig
    baseline = True

    def check(self, workload: Workload) -> None:
        """Any layered network has an ANN of the same shape."""

    def estimate(self, workload: Workload) -> EnergyReport:
        self.check(workload)
        cfg = self.config
        counts = count_ops(workload, cfg.e_ac_j, cfg.e_mac_j)
        ann_j = counts.dense_macs * cfg.e_mac_j
        layers = tuple(
            type(layer)(**{**layer.to_dict(), "synaptic_ops": 0.0, "macs": float(layer.dense_macs),
                           "ops_per_step": float(layer.dense_macs), "sparsity": None,
                           "energy_j": layer.dense_macs * cfg.e_mac_j})
            for layer in counts.layers
        )
        return EnergyReport(
            model=self.name,
            label=workload.label,
            energy_per_frame_j=ann_j,
            latency_s=None,
            synaptic_ops=0.0,
            effective_macs=float(counts.dense_macs),
            dense_macs=counts.dense_macs,
            ann_energy_j=ann_j,
            activation_sparsity=0.0,
            breakdown={"multiply-accumulates (MAC)": ann_j},
            layers=layers,
            notes=("Compute only, one dense pass per frame (no ReLU sparsity exploited).",),
        )
