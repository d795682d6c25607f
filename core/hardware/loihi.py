"""A Loihi-style per-event energy model: every synaptic op, neuron update and spike at its cost.

Intel's Loihi (Davies et al., "Loihi: a neuromorphic manycore processor with on-chip
learning", IEEE Micro 38(1), 2018) runs a network in discrete time steps on asynchronous
cores. Its Table 2 ("pre-silicon performance and energy measurements", SDF and SPICE
simulation of the 14 nm design, "consistent with early post-silicon characterization") gives
the energy of each kind of event; one frame costs::

    E_frame = E_synop   * sum_l spikes_l * fan_out_l                 (synaptic spike ops)
            + E_neuron  * (updates - active)  +  E_active * active   (neuron updates)
            + E_spike   * sum_l spikes_l  [layers that project on]   (spike messages)

with ``updates = sum_{l >= 1} neurons_l * time_steps`` (every neuron after the input is
updated once per step) and ``active`` the updates that emit a spike. Table 2's figures, as
transcribed by two secondary sources (a research note that quotes the table row by row, and
SANA-FE's Loihi constants, Boyle et al., IEEE TCAD 2025), which agree: energy per synaptic spike
op (min) 23.6 pJ, per synaptic update (pairwise STDP) 120 pJ, per neuron update 81 pJ active /
52 pJ inactive, within-tile spike energy 1.7 pJ, per tile hop 3.0 pJ (E-W) / 4.0 pJ (N-S). The
paper itself could not be read here; the numbers are those sources'.

Assumptions (SpikeLab's, not the paper's): Table 2 does not define an *active* neuron update;
here it is one that emits a spike. Every spike is charged one within-tile message; hops between
tiles are not counted (they need a placement), so routing is a lower bound. SpikeLab prices
inference, so no synaptic update (learning, 120 pJ) is charged. 23.6 pJ is Table 2's minimum
per op. Non-spike input (an image fed as currents, MACs) has no Loihi event and is refused. No
latency: the cores run asynchronously in parallel, and a serial sum of Table 2's per-event
times would only bound it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.hardware.base import EnergyModel, EnergyReport, count_ops, counted_report
from core.hardware.constants import PJ
from core.hardware.params import check_knobs, e_mac_field, knob
from core.hardware.workload import Workload

GROUP = "Loihi (per event)"
TABLE_2 = "Davies et al., IEEE Micro 2018, Table 2 (pre-silicon, 14 nm)"


@dataclass(frozen=True)
class LoihiConfig:
    """Energy per event, in joules (Table 2's figures by default), and the ANN's E_MAC."""

    e_synop_j: float = knob(23.6 * PJ, "E per synaptic op", "energy of one synaptic spike op: "
                            "a spike reaching one synapse", 0.0, 1000.0, 0.1, unit="pJ",
                            scale=PJ, source=f"{TABLE_2}: per synaptic spike op (min)",
                            url="esynop", flag="--e-synop-pj", group=GROUP)
    e_neuron_j: float = knob(52.0 * PJ, "E per neuron update", "energy of one neuron's update "
                             "in a step without a spike (inactive)", 0.0, 1000.0, 0.1,
                             unit="pJ", scale=PJ, source=f"{TABLE_2}: neuron update, inactive",
                             url="eneuron", flag="--e-neuron-pj", group=GROUP)
    e_active_j: float = knob(81.0 * PJ, "E per active update", "energy of one neuron's update "
                             "that emits a spike (active)", 0.0, 1000.0, 0.1, unit="pJ",
                             scale=PJ, source=f"{TABLE_2}: neuron update, active",
                             url="eactive", flag="--e-active-pj", group=GROUP)
    e_spike_j: float = knob(1.7 * PJ, "E per spike message", "energy of sending one spike "
                            "(within a tile; hops are not counted)", 0.0, 1000.0, 0.1,
                            unit="pJ", scale=PJ, source=f"{TABLE_2}: within-tile spike energy",
                            url="espike", flag="--e-spike-pj", group=GROUP)
    e_mac_j: float = e_mac_field()  # the ANN baseline, as every model's

    def __post_init__(self) -> None:
        check_knobs(self)


class LoihiModel(EnergyModel):
    """Loihi-style per-event costs (see the module docstring)."""

    name = "loihi"
    label = "Loihi (per event)"
    summary = ("every synaptic op, neuron update and spike at Loihi's per-event energy, "
               "inference only, no latency (Davies et al., IEEE Micro 2018, Table 2)")
    params = LoihiConfig
    maps = "layered networks fed spikes (no analog input)"

    def check(self, workload: Workload) -> None:
        """Refuse a network with non-spike input: Loihi's cores receive spikes only."""
        for layer in workload.layers:
            if layer.snn_macs or (layer.spikes is None and layer.fan_out):
                raise ValueError(
                    f"Loihi's cores take spikes only: the {layer.name} layer of "
                    f"{workload.label} feeds values, not spikes, to the next. Encode the input "
                    "as spikes, or price it with the operation-count model ('ops')."
                )

    def estimate(self, workload: Workload) -> EnergyReport:
        """One frame's synaptic ops, neuron updates and spike messages at their energies."""
        self.check(workload)
        cfg = self.config
        counts = count_ops(workload, cfg.e_synop_j, cfg.e_mac_j)
        layers, parts = [], {"synaptic spike ops": 0.0, "neuron updates": 0.0,
                             "spike messages": 0.0}
        for index, (load, ops) in enumerate(zip(workload.layers, counts.layers, strict=True)):
            spikes = load.spikes or 0.0
            updates = load.neurons * workload.time_steps if index else 0
            active = spikes if index else 0.0
            cost = {"synaptic spike ops": ops.synaptic_ops * cfg.e_synop_j,
                    "neuron updates": (updates - active) * cfg.e_neuron_j
                    + active * cfg.e_active_j,
                    "spike messages": spikes * cfg.e_spike_j if load.fan_out else 0.0}
            for key, joules in cost.items():
                parts[key] += joules
            layers.append(replace(ops, energy_j=sum(cost.values())))
        return counted_report(
            self, workload, counts, parts, cfg.e_mac_j, layers=tuple(layers),
            notes=("Loihi's per-event energies (Davies et al. 2018, Table 2, pre-silicon): "
                   "an update that emits a spike counts as active; spikes are charged within "
                   "a tile (no hops); inference only (no learning updates); no latency.",),
        )
