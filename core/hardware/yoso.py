"""Event-driven simulation of one frame on the YOSO mesh, and its energy and latency.

Every spike of layer l becomes one packet to each PE holding layer l+1 (output spikes: one packet
to the I/O port) and, when layer l is recurrent, to each PE holding layer l too. A packet costs
its XY hops; at the receiving PE it is queued in the spike FIFO (one write, one read), then
LOAD reads the weight and the state words of each of the k neurons the PE holds, COMPUTE adds,
STORE compares with the threshold and writes the states back::

    E_frame = sum_events n_event * e_event + P_leak * PEs * latency

Timing (cycles, at ``clock_hz``): a router sends one packet per cycle and a packet takes
``hop_cycles`` per hop plus one to reach the core; a PE serves its FIFO in arrival order, each
packet occupying it for ``event_overhead_cycles + ceil(k / lanes)`` cycles, with LOAD, COMPUTE
and STORE pipelined (``pipeline_depth`` cycles from start to written state). Which neurons fire
is not known from counts alone: a layer's spikes are spread evenly over its neurons, and its
j-th of S spikes leaves once its PE has served a fraction j/S of that PE's input packets (spikes
follow the inputs that cause them). Latency is the critical path through these queues: the last
state written or output packet delivered, and never less than the busiest router's packet count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.free_memory import check_memory
from core.hardware.base import EnergyModel, EnergyReport, LayerOps, count_ops, counted_report
from core.hardware.constants import RELPSP_YOSO_MNIST
from core.hardware.mesh import MeshMapping, YosoConfig, map_network, router_load, xy_hops
from core.hardware.workload import Workload

PORT = -1  # the I/O port, at router (0, 0)
# The simulation holds every packet of a frame at once: about 180 bytes each at its peak
# (measured on 784-4096-4096-10, 5 million packets), and 5 million take about 2 s on one core.
MAX_PACKETS = 20_000_000
PACKET_BYTES = 250


@dataclass(frozen=True, eq=False)
class Packets:
    """The packets one layer's spikes send: source and destination PE, departure, arrival."""

    src: np.ndarray
    dst: np.ndarray
    ready: np.ndarray  # cycle the spike is emitted
    order: np.ndarray  # spike index, to keep FIFO order among equal times
    hops_x: np.ndarray
    hops_y: np.ndarray
    arrival: np.ndarray


@dataclass(frozen=True, eq=False)
class FrameSim:
    """Everything one simulated frame gives: event totals, per-PE/router activity, latency."""

    mapping: MeshMapping
    events: dict[str, float]
    layer_events: tuple[dict[str, float], ...]  # per source layer
    busy_cycles: np.ndarray  # [rows, cols] cycles each PE core was busy
    router_packets: np.ndarray  # [rows, cols] packets through each router
    latency_cycles: float


def spike_sources(neurons: int, spikes: float) -> np.ndarray:
    """Neuron indices of a layer's spikes, spread evenly, in firing order (count rounded)."""
    count = int(round(spikes))
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    return (((np.arange(count) + 0.5) * neurons / count).astype(np.int64)) % neurons


def fifo_finish(arrival: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Finish times of jobs served in order by one server: f_i = max(a_i, f_{i-1}) + w_i.

    Closed form: f_n = W_n + max_{m <= n}(a_m - W_{m-1}) with W the running sum of work.
    """
    total = np.cumsum(work, dtype=float)
    return total + np.maximum.accumulate(arrival - (total - work))


def _sort_index(key: np.ndarray, time: np.ndarray, order: np.ndarray | None = None
                ) -> np.ndarray:
    """Indices sorting by ``key``, then ``time``, then ``order`` (``np.lexsort``'s result).

    Times are whole cycles, so key and time fold into one int64 whose stable sort is several
    times faster than a three-key lexsort of millions of packets; ``order`` is the tie-break.
    """
    t = np.asarray(time, dtype=float)
    if len(t) == 0 or not np.array_equal(t, np.floor(t)):
        return np.lexsort((time, key) if order is None else (order, time, key))
    base = np.arange(len(t)) if order is None else np.argsort(order, kind="stable")
    lo, span = t.min(), t.max() - t.min() + 1
    kk = np.asarray(key, dtype=np.int64)
    folded = (kk[base] - kk.min()) * np.int64(span) + (t[base] - lo).astype(np.int64)
    return base[np.argsort(folded, kind="stable")]


def _serve(key: np.ndarray, arrival: np.ndarray, work: np.ndarray, order: np.ndarray
           ) -> np.ndarray:
    """``fifo_finish`` per server ``key`` (jobs sorted by arrival, then ``order``).

    All servers at once: the running sum restarts at each server's first job, and the running
    maximum is kept from crossing servers by lifting each server's values above the last's.
    Cycle counts are whole numbers far below 2**53, so the lift is exact in float64.
    """
    if len(key) == 0:
        return np.zeros(0)
    idx = _sort_index(key, arrival, order)
    k, a, w = key[idx], arrival[idx].astype(float), work[idx].astype(float)
    starts = np.concatenate([[True], k[1:] != k[:-1]])
    first, group = np.flatnonzero(starts), np.cumsum(starts) - 1
    total = np.cumsum(w)
    total -= np.repeat(total[first] - w[first], np.diff(np.append(first, len(k))))
    slack = a - (total - w)
    lift = (slack.max(initial=0.0) - slack.min(initial=0.0) + 1.0) * group
    finish = np.empty(len(key), dtype=float)
    finish[idx] = total + np.maximum.accumulate(slack + lift) - lift
    return finish


def send(mapping: MeshMapping, cfg: YosoConfig, src: np.ndarray, ready: np.ndarray,
         dst_pes: np.ndarray) -> Packets:
    """One packet per (spike, destination); routers send one packet per cycle."""
    n_spk, n_dst = len(src), len(dst_pes)
    s, d = np.repeat(src, n_dst), np.tile(dst_pes, n_spk)
    t = np.repeat(ready, n_dst)
    order = np.arange(len(s))
    depart = _serve(s, t, np.ones(len(s)), order) - 1.0
    (xs, ys), (xd, yd) = mapping.xy(s), mapping.xy(d)
    hx, hy = xy_hops(xs, ys, xd, yd)
    arrival = depart + (hx + hy) * cfg.hop_cycles + 1
    return Packets(s, d, t, order, hx, hy, arrival)


def frame_packets(workload: Workload, cfg: YosoConfig) -> int:
    """How many spike packets one frame sends: the size of the simulation, known before it runs."""
    rec = workload.recurrent_layers
    mapping = map_network(workload.sizes, cfg, rec)
    total, last = 0, len(workload.layers) - 1
    for source, spikes in enumerate(workload.spikes):
        targets = [source + 1] + ([source] if rec[source] else []) if source < last else []
        destinations = sum(len(mapping.layer_pes(t)) for t in targets) if targets else 1
        total += int(round(spikes)) * destinations
    return total


def simulate(workload: Workload, cfg: YosoConfig) -> FrameSim:
    """Run one frame of a fully connected (optionally recurrent) ``workload`` through the mesh."""
    rec = workload.recurrent_layers
    mapping = map_network(workload.sizes, cfg, rec)
    busy = np.zeros(mapping.pes_used)
    end, all_packets, layer_events = 0.0, [], []
    served: dict[int, tuple[np.ndarray, ...]] = {}  # per layer: dst, arrival, work, order
    src = np.full(int(round(workload.spikes[0])), PORT)
    ready = np.zeros(len(src))
    n_layers = len(workload.layers)
    for source in range(n_layers):
        if source == n_layers - 1:  # output spikes reach the port
            packets = send(mapping, cfg, src, ready, np.array([PORT]))
            all_packets.append(packets)
            end = max(end, float(packets.arrival.max(initial=0.0)))
            layer_events.append(_events(packets, None, cfg))
            break
        targets = [source + 1] + ([source] if rec[source] else [])
        dst_pes = np.concatenate([mapping.layer_pes(t) for t in targets])
        packets = send(mapping, cfg, src, ready, dst_pes)  # one router queue for both
        all_packets.append(packets)
        k = mapping.pe_neurons[packets.dst]
        work = cfg.event_overhead_cycles + np.ceil(k / cfg.lanes)
        busy += np.bincount(packets.dst, weights=work, minlength=mapping.pes_used)
        layer_events.append(_events(packets, k, cfg))
        ahead = mapping.pe_layer[packets.dst] == source + 1
        jobs = (packets.dst[ahead], packets.arrival[ahead], work[ahead], packets.order[ahead])
        done = _serve(*jobs) + cfg.pipeline_depth - 1
        end = max(end, float(done.max(initial=0.0)))
        if not ahead.all():
            end = max(end, _recurrent_end(served[source], packets, work, ~ahead, cfg))
        served[source + 1] = jobs
        src, ready = _emit(mapping, workload, source + 1, jobs[0], done)
    rows_cols = (cfg.rows, cfg.cols)
    busy_grid = np.zeros(cfg.pes)
    busy_grid[: mapping.pes_used] = busy
    pk = _concat(all_packets)
    (xs, ys), (xd, yd) = mapping.xy(pk.src), mapping.xy(pk.dst)
    routers = router_load(cfg.rows, cfg.cols, xs, ys, xd, yd)
    events = {key: sum(e[key] for e in layer_events) for key in layer_events[0]}
    return FrameSim(mapping, events, tuple(layer_events), busy_grid.reshape(rows_cols), routers,
                    max(end, float(routers.max(initial=0.0))))


def _recurrent_end(before: tuple[np.ndarray, ...], packets: Packets, work: np.ndarray,
                   mask: np.ndarray, cfg: YosoConfig) -> float:
    """When a recurrent layer's PEs finish: its own spikes queue behind the inputs it served.

    Recurrent input reaches the next time step of a discrete-time network, so it is not taken
    to move this frame's spike times; it does keep the PEs busy, in arrival order.
    """
    dst, arrival, w, order = before
    jobs = (np.concatenate([dst, packets.dst[mask]]),
            np.concatenate([arrival, packets.arrival[mask]]),
            np.concatenate([w, work[mask]]),
            np.concatenate([order, packets.order[mask] + len(packets.order)]))
    return float((_serve(*jobs) + cfg.pipeline_depth - 1).max(initial=0.0))


def _emit(mapping: MeshMapping, workload: Workload, layer: int, dst: np.ndarray,
          done: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sources and emission cycles of ``layer``'s spikes, given when its PEs served packets."""
    neurons = spike_sources(workload.layers[layer].neurons, workload.spikes[layer])
    if len(neurons) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    pes = mapping.neuron_pe(layer, neurons)
    if len(done) == 0:  # no input reached the layer: its spikes (a bias, a given count) start it
        return pes, np.zeros(len(neurons))
    idx = _sort_index(dst, done)
    served = np.bincount(dst, minlength=mapping.pes_used)
    offsets = np.concatenate([[0], np.cumsum(served)[:-1]])
    rank = (np.arange(len(neurons)) + 1) / len(neurons)
    k = np.maximum(np.ceil(rank * served[pes]).astype(np.int64) - 1, 0)
    has_input = served[pes] > 0
    sorted_done = done[idx]
    ready = np.where(has_input, sorted_done[np.minimum(offsets[pes] + k, len(done) - 1)], 0.0)
    return pes, ready


def _events(packets: Packets, k: np.ndarray | None, cfg: YosoConfig) -> dict[str, float]:
    """Event totals of one layer's packets (``k``: neurons updated per delivered packet)."""
    updates = float(k.sum()) if k is not None else 0.0
    delivered = float(len(packets.src)) if k is not None else 0.0
    return {
        "packets": float(len(packets.src)),
        "hops_x": float(packets.hops_x.sum()),
        "hops_y": float(packets.hops_y.sum()),
        "core_events": delivered,
        "synaptic_updates": updates,
        "weight_read_bits": updates * cfg.weight_bits,
        "state_read_bits": updates * cfg.state_bits * cfg.state_words,
        "state_write_bits": updates * cfg.state_bits * cfg.state_words,
        "adds": updates * (cfg.adds_per_synapse + 1),  # + the threshold compare
        "fifo_bits": delivered * cfg.packet_bits,  # written once and read once
    }


def _concat(items: list[Packets]) -> Packets:
    return Packets(*(np.concatenate([getattr(p, f) for p in items])
                     for f in Packets.__dataclass_fields__))


def dynamic_energy(events: dict[str, float], cfg: YosoConfig) -> dict[str, float]:
    """Joules per kind of event (no leakage)."""
    w_read, s_read = cfg.read_j_per_bit, cfg.state_read_j_per_bit
    s_write = cfg.write_j_per_bit(s_read)
    return {
        "weight SRAM read": events["weight_read_bits"] * w_read,
        "state SRAM read": events["state_read_bits"] * s_read,
        "state SRAM write": events["state_write_bits"] * s_write,
        "adds and compares": events["adds"] * cfg.e_add_j,
        "spike FIFO": events["fifo_bits"] * (s_read + s_write),
        "router hops": events["hops_x"] * cfg.e_hop_ew_j + events["hops_y"] * cfg.e_hop_ns_j,
    }


class YosoModel(EnergyModel):
    """The YOSO mesh, simulated event by event (see the module docstring)."""

    name = "yoso"
    label = "YOSO mesh"
    summary = ("a mesh of processing elements simulated spike by spike: routed packets, SRAM "
               "reads and writes, adds and leakage, with latency (Srivatsa et al., "
               "arXiv:2006.09982)")
    params = YosoConfig
    maps = "fully connected (optionally recurrent) networks with a spiking input that fit the mesh"
    reports = ("latency", "mesh")
    published = RELPSP_YOSO_MNIST
    settings_key = "mesh"
    max_frame_cost = MAX_PACKETS
    cost_unit = "packets"

    def __init__(self, config: YosoConfig | None = None, e_ac_j: float | None = None,
                 e_mac_j: float | None = None) -> None:
        """``e_ac_j``/``e_mac_j``, when given, replace the config's (an older call form)."""
        config = config or YosoConfig()
        given = {k: v for k, v in (("e_ac_j", e_ac_j), ("e_mac_j", e_mac_j)) if v is not None}
        self.config = replace(config, **given) if given else config

    @property
    def e_ac_j(self) -> float:
        return self.config.e_ac_j

    @property
    def e_mac_j(self) -> float:
        return self.config.e_mac_j

    def frame_cost(self, workload: Workload) -> int:
        """The spike packets one frame sends (the simulation's size)."""
        return frame_packets(workload, self.config)

    def work_note(self, workload: Workload) -> str | None:
        cfg = self.config
        return (f"Simulating one frame on the {cfg.rows}×{cfg.cols} mesh: "
                f"{self.frame_cost(workload):,} spike packets, each routed and queued…")

    def check(self, workload: Workload) -> None:
        if not workload.fully_connected:
            raise ValueError(
                f"The YOSO model maps fully connected networks; {workload.label} is "
                "convolutional. Use the operation-count model ('ops') for it."
            )
        if workload.layers[0].spikes is None:
            raise ValueError("YOSO needs a spiking input layer (give its spike count).")
        packets = frame_packets(workload, self.config)  # also maps the network (or says why not)
        if packets > MAX_PACKETS:
            raise ValueError(
                f"One frame of {workload.label} sends {packets:,} spike packets; the YOSO "
                f"simulator takes at most {MAX_PACKETS:,} (about 5 GB and ten seconds): give "
                "fewer spikes or time steps, or read the operation-count model."
            )
        check_memory(packets * PACKET_BYTES, f"{packets:,} spike packets",
                     "give fewer spikes or read the operation-count model")

    def estimate(self, workload: Workload) -> EnergyReport:
        self.check(workload)
        cfg = self.config
        sim = simulate(workload, cfg)
        latency_s = sim.latency_cycles / cfg.clock_hz
        breakdown = dynamic_energy(sim.events, cfg)
        breakdown["leakage"] = cfg.leakage_w_per_pe * cfg.pes * latency_s
        counts = count_ops(workload, self.e_ac_j, self.e_mac_j)
        layers = tuple(
            LayerOps(**{**ops.to_dict(),
                        "energy_j": sum(dynamic_energy(ev, cfg).values()) if ev else 0.0})
            for ops, ev in zip(counts.layers, sim.layer_events, strict=True)
        )
        return counted_report(self, workload, counts, breakdown, self.e_mac_j,
                              latency_s=latency_s, layers=layers, notes=_notes(workload),
                              extra=_extra(sim, cfg))


def _notes(workload: Workload) -> tuple[str, ...]:
    notes = ["Which neurons fire is spread evenly over each layer; counts are rounded."]
    if workload.time_steps > 1:
        notes.append(f"Spikes of all {workload.time_steps} time steps are served in one frame.")
    return tuple(notes)


def _extra(sim: FrameSim, cfg: YosoConfig) -> dict[str, object]:
    cycles = max(sim.latency_cycles, 1.0)
    return {
        "latency_cycles": sim.latency_cycles,
        "events": dict(sim.events),
        "mesh": {
            "rows": cfg.rows,
            "cols": cfg.cols,
            "pes_used": sim.mapping.pes_used,
            "pe_layer": [int(v) for v in sim.mapping.pe_layer],
            "utilisation": (sim.busy_cycles / cycles).tolist(),
            "router_packets": sim.router_packets.tolist(),
            "busiest_pe_cycles": float(sim.busy_cycles.max()),
            "weight_kib_max": float(sim.mapping.weight_kib.max()),
        },
    }

