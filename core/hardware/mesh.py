"""The YOSO mesh: its parameters, placing a network's neurons on processing elements, XY routes.

The accelerator (Srivatsa et al., "You only spike once", arXiv:2006.09982, 2020; used by Zhang
et al., IEEE TNNLS 33(5), 2022) is a 2-D mesh network-on-chip of processing elements (PEs). A
PE's router receives and sends spike packets; its SRAMs hold the weights of the synapses *into*
its neurons, their states, and a FIFO of incoming spikes; its core runs LOAD (read the weights
and states a spike needs), COMPUTE (add) and STORE (write the states back, emit spikes).

Placement: layers after the input are given their own PEs in order, row-major from (0, 0), each
layer spread evenly over ceil(neurons / neurons_per_pe) PEs. Input spikes enter, and output
spikes leave, through an I/O port at router (0, 0). Packets follow XY routing (along the row,
then along the column), so a route is |dx| + |dy| hops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.checks import check_positive, check_range, check_whole
from core.hardware.constants import (
    E_HOP_EW_J,
    E_HOP_NS_J,
    E_INT32_ADD_J,
    sram_read_energy_per_bit,
)
from core.hardware.params import e_ac_field, e_mac_field, knob

_POSITIVE_INTS = ("rows", "cols", "neurons_per_pe", "weight_bits", "state_bits", "state_words",
                  "packet_bits", "lanes", "pipeline_depth", "hop_cycles", "adds_per_synapse")
# The largest values a config takes: beyond them a mesh or a word is not a chip but a typo, and
# the per-PE and per-router arrays would not fit in memory.
_LARGEST = {"rows": 1024, "cols": 1024, "weight_bits": 64, "state_bits": 64, "packet_bits": 1024}
_LARGEST_OTHER = 10**6
_NONNEGATIVE = ("event_overhead_cycles", "e_add_j", "e_hop_ew_j", "e_hop_ns_j", "leakage_w_per_pe",
                "e_ac_j", "e_mac_j")
MESH = "YOSO mesh"
_FITS = "SpikeLab's choice: 784-800-10 takes 14 of the 16 PEs, 49 KiB of weights each"
_ASSUMED = "an assumption, not a published YOSO figure"


@dataclass(frozen=True)
class YosoConfig:
    """Mesh size, PE memories, timing and energy per event (SI units).

    Sources of the defaults: ``e_add_j`` is Horowitz's 32-bit integer add (ISSCC 2014, 45 nm);
    SRAM energy per bit, when not given, is Horowitz's 64-bit read of an SRAM of that size divided
    by 64 (``constants.sram_read_energy_per_bit``), writes costing as much as reads; hops are
    Loihi's per-tile-hop packet energies (Davies et al. 2018). Assumptions, not published YOSO
    figures, to be set for a given process: the 100 MHz clock, one synaptic update per cycle per
    PE, 10 uW of leakage per PE, 8-bit weights and two 16-bit state words per neuron (a ReL-PSP
    neuron keeps the sums of w and of w*t of its causal inputs). ``e_ac_j``/``e_mac_j`` do not
    change the mesh's energy: they price the report's operation counts and its ANN baseline,
    as the operation-count model does. Fields made by ``knob`` are the page's widgets, flags
    and link fields.
    """

    rows: int = knob(4, "Rows", "rows of the PE mesh", 1, 64, 1, source=_FITS, group=MESH)
    cols: int = knob(4, "Columns", "columns of the PE mesh", 1, 64, 1, source=_FITS,
                     group=MESH)
    neurons_per_pe: int = knob(64, "Neurons per PE", "neurons one PE holds", 1, 4096, 1,
                               source=_FITS, url="npe", group=MESH)
    weight_bits: int = knob(8, "Weight bits", "bits of one stored weight", 1, 32, 1,
                            source=_ASSUMED, url="wbits", group=MESH)
    state_bits: int = 16
    state_words: int = 2
    packet_bits: int = 32
    weight_sram_kib: float = knob(64.0, "Weight SRAM per PE", "weight memory of one PE", 1.0,
                                  4096.0, 1.0, unit="KiB", source=_FITS, url="wsram",
                                  group=MESH)
    state_sram_kib: float = 2.0
    clock_hz: float = knob(100e6, "Clock", "PE and router clock", 0.1, 5000.0, 1.0, unit="MHz",
                           scale=1e6, source=_ASSUMED, url="clock", flag="--clock-mhz",
                           group=MESH)
    lanes: int = 1
    event_overhead_cycles: int = 1
    pipeline_depth: int = 3
    hop_cycles: int = 1
    adds_per_synapse: int = 1
    e_add_j: float = E_INT32_ADD_J
    e_sram_read_bit_j: float | None = None
    e_sram_write_bit_j: float | None = None
    e_hop_ew_j: float = E_HOP_EW_J
    e_hop_ns_j: float = E_HOP_NS_J
    leakage_w_per_pe: float = knob(10e-6, "Leakage per PE", "static power of one PE", 0.0,
                                   10000.0, 1.0, unit="µW", scale=1e-6, source=_ASSUMED,
                                   url="leak", flag="--leakage-uw", group=MESH)
    e_ac_j: float = e_ac_field()  # the report's op counts and ANN baseline, as the ops model's
    e_mac_j: float = e_mac_field()

    def __post_init__(self) -> None:
        for name in _POSITIVE_INTS:
            largest = _LARGEST.get(name, _LARGEST_OTHER)
            object.__setattr__(self, name, check_whole(name, getattr(self, name), 1, largest))
        for name in ("weight_sram_kib", "state_sram_kib", "clock_hz"):
            check_positive(name, getattr(self, name))
        for name in _NONNEGATIVE:
            check_range(name, getattr(self, name), 0)
        for name in ("e_sram_read_bit_j", "e_sram_write_bit_j"):
            if getattr(self, name) is not None:
                check_range(f"{name}, when given,", getattr(self, name), 0)

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @property
    def read_j_per_bit(self) -> float:
        """Weight-SRAM read energy per bit (given, or from Horowitz by the SRAM's size)."""
        if self.e_sram_read_bit_j is not None:
            return self.e_sram_read_bit_j
        return sram_read_energy_per_bit(self.weight_sram_kib * 1024)

    @property
    def state_read_j_per_bit(self) -> float:
        """State-SRAM and spike-FIFO read energy per bit (a small SRAM)."""
        if self.e_sram_read_bit_j is not None:
            return self.e_sram_read_bit_j
        return sram_read_energy_per_bit(self.state_sram_kib * 1024)

    def write_j_per_bit(self, read_j_per_bit: float) -> float:
        return read_j_per_bit if self.e_sram_write_bit_j is None else self.e_sram_write_bit_j


@dataclass(frozen=True, eq=False)
class MeshMapping:
    """Where each mapped layer's neurons sit. Arrays are per used PE, in PE order."""

    rows: int
    cols: int
    first_pe: tuple[int, ...]  # per layer (index 0, the input, is off-mesh: -1)
    pe_layer: np.ndarray
    pe_neurons: np.ndarray
    pe_first_neuron: np.ndarray
    weight_kib: np.ndarray  # weight SRAM used per PE
    state_kib: np.ndarray

    @property
    def pes_used(self) -> int:
        return int(len(self.pe_layer))

    def layer_pes(self, layer: int) -> np.ndarray:
        """PE indices holding ``layer`` (>= 1)."""
        return np.flatnonzero(self.pe_layer == layer)

    def neuron_pe(self, layer: int, neurons: np.ndarray) -> np.ndarray:
        """The PE of each neuron index of ``layer`` (>= 1)."""
        pes = self.layer_pes(layer)
        return pes[np.searchsorted(self.pe_first_neuron[pes], neurons, side="right") - 1]

    def xy(self, pe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mesh coordinates of PE indices; -1 is the I/O port at router (0, 0)."""
        pe = np.maximum(np.asarray(pe, dtype=np.int32), 0)
        return pe % np.int32(self.cols), pe // np.int32(self.cols)


def map_network(sizes: tuple[int, ...], config: YosoConfig,
                recurrent: tuple[bool, ...] = ()) -> MeshMapping:
    """Place layers 1.. of a fully connected network on the mesh; ValueError when it cannot fit.

    A layer flagged in ``recurrent`` also projects onto itself, so its PEs hold those weights too.
    """
    pe_layer, pe_neurons, pe_first, first_pe = [], [], [], [-1]
    weight_kib, state_kib = [], []
    fan_ins = [sizes[i - 1] + (sizes[i] if i < len(recurrent) and recurrent[i] else 0)
               for i in range(1, len(sizes))]
    needed = sum(math.ceil(n / config.neurons_per_pe) for n in sizes[1:])
    if needed > config.pes:
        raise ValueError(
            f"The network {'-'.join(map(str, sizes))} needs {needed:,} PEs at "
            f"{config.neurons_per_pe} neurons per PE, but a {config.rows}x{config.cols} mesh has "
            f"{config.pes}: enlarge the mesh or put more neurons on each PE."
        )
    for layer, fan_in in enumerate(fan_ins, start=1):
        n = sizes[layer]
        count = math.ceil(n / config.neurons_per_pe)
        first_pe.append(len(pe_layer))
        per = np.full(count, n // count) + (np.arange(count) < n % count)
        starts = np.concatenate([[0], np.cumsum(per)[:-1]])
        for k, start in zip(per, starts, strict=True):
            pe_layer.append(layer)
            pe_neurons.append(int(k))
            pe_first.append(int(start))
            weight_kib.append(k * fan_in * config.weight_bits / 8192)
            state_kib.append(k * config.state_words * config.state_bits / 8192)
    _check_sram([0, *fan_ins], config, np.array(pe_layer), np.array(weight_kib),
                np.array(state_kib))
    return MeshMapping(config.rows, config.cols, tuple(first_pe), np.array(pe_layer),
                       np.array(pe_neurons), np.array(pe_first), np.array(weight_kib),
                       np.array(state_kib))


def _check_sram(fan_ins: list[int], config: YosoConfig, pe_layer: np.ndarray,
                weight_kib: np.ndarray, state_kib: np.ndarray) -> None:
    worst = int(np.argmax(weight_kib / config.weight_sram_kib))
    if weight_kib[worst] > config.weight_sram_kib:
        layer = int(pe_layer[worst])
        raise ValueError(
            f"Layer {layer} does not fit: a PE needs {weight_kib[worst]:.1f} KiB of weights "
            f"({fan_ins[layer]} inputs x {config.weight_bits}-bit weights per neuron) but holds "
            f"{config.weight_sram_kib:g} KiB. Put fewer neurons on each PE, use fewer weight "
            "bits, or enlarge the weight SRAM."
        )
    worst = int(np.argmax(state_kib))
    if state_kib[worst] > config.state_sram_kib:
        raise ValueError(
            f"Neuron states need {state_kib[worst]:.2f} KiB on a PE but the state SRAM holds "
            f"{config.state_sram_kib:g} KiB: put fewer neurons on each PE or enlarge it."
        )


def xy_hops(xs: np.ndarray, ys: np.ndarray, xd: np.ndarray, yd: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """East-west and north-south hop counts of XY routes: |dx| and |dy|."""
    return np.abs(xd - xs), np.abs(yd - ys)


def router_load(rows: int, cols: int, xs: np.ndarray, ys: np.ndarray, xd: np.ndarray,
                yd: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Packets through each router [rows, cols] for XY routes (source and destination included).

    Each route is a row segment (y = ys, x from xs to xd) then a column segment (x = xd, y from
    ys to yd); both are added with difference arrays and prefix sums, the corner counted once.
    """
    w = np.ones(len(xs)) if weight is None else np.asarray(weight, dtype=float)
    width = cols + 1
    lo, hi = np.minimum(xs, xd), np.maximum(xs, xd)
    row_diff = _counts(ys * width + lo, w, rows * width) - _counts(ys * width + hi + 1, w,
                                                                   rows * width)
    lo, hi = np.minimum(ys, yd), np.maximum(ys, yd)
    col_diff = _counts(lo * cols + xd, w, (rows + 1) * cols) - _counts(
        (hi + 1) * cols + xd, w, (rows + 1) * cols)
    load = (np.cumsum(row_diff.reshape(rows, width), axis=1)[:, :cols]
            + np.cumsum(col_diff.reshape(rows + 1, cols), axis=0)[:rows, :])
    # the corner (xd, ys) lies on both segments
    load -= _counts(ys * cols + xd, w, rows * cols).reshape(rows, cols)
    return load


def _counts(index: np.ndarray, weight: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(index, weights=weight, minlength=size)[:size]
