"""The YOSO mesh: mapping, hand-counted events and timing, linearity, latency bounds, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.hardware import YosoConfig, YosoModel, fc_workload
from core.hardware.analysis import sweep
from core.hardware.mesh import map_network, router_load
from core.hardware.yoso import (
    MAX_PACKETS,
    _serve,
    _sort_index,
    fifo_finish,
    frame_packets,
    simulate,
    spike_sources,
)

# A 4-3-2 network on a 2x2 mesh, two neurons per PE: hidden neurons 0,1 on PE 0 at (0, 0),
# neuron 2 on PE 1 at (1, 0); both output neurons on PE 2 at (0, 1). The port is router (0, 0).
SMALL = YosoConfig(rows=2, cols=2, neurons_per_pe=2)


def test_mapping_spreads_layers_over_their_own_pes() -> None:
    m = map_network((4, 3, 2), SMALL)
    assert m.pe_layer.tolist() == [1, 1, 2]
    assert m.pe_neurons.tolist() == [2, 1, 2]
    assert m.neuron_pe(1, np.array([0, 1, 2])).tolist() == [0, 0, 1]
    xs, ys = m.xy(np.array([0, 1, 2, -1]))
    assert list(zip(xs.tolist(), ys.tolist(), strict=True)) == [(0, 0), (1, 0), (0, 1), (0, 0)]
    # 800 hidden neurons at 64 per PE: 13 PEs of 61-62 neurons, 62 x 784 8-bit weights at most.
    big = map_network((784, 800, 10), YosoConfig())
    assert big.pes_used == 14 and big.pe_neurons[:13].sum() == 800
    assert big.weight_kib.max() == pytest.approx(62 * 784 / 1024)


def test_event_counts_of_a_hand_sized_network() -> None:
    sim = simulate(fc_workload((4, 3, 2), (2, 1, 1)), SMALL)
    # 2 input spikes x 2 hidden PEs + 1 hidden spike x 1 output PE + 1 output spike to the port.
    assert sim.events["packets"] == 6
    assert sim.events["core_events"] == 5
    # port -> PE 1 is one east hop (twice); PE 0 -> PE 2 and PE 2 -> port one north-south hop.
    assert sim.events["hops_x"] == 2 and sim.events["hops_y"] == 2
    # each input spike updates all 3 hidden neurons, the hidden spike both output neurons.
    assert sim.events["synaptic_updates"] == 2 * 3 + 1 * 2
    assert sim.events["weight_read_bits"] == 8 * 8
    assert sim.events["state_read_bits"] == sim.events["state_write_bits"] == 8 * 2 * 16
    assert sim.events["adds"] == 8 * 2  # one add and one threshold compare per update
    assert sim.events["fifo_bits"] == 5 * 32


def test_timing_of_a_hand_sized_network() -> None:
    sim = simulate(fc_workload((4, 3, 2), (2, 1, 1)), SMALL)
    # Port sends at cycles 0-3; PE 0 gets packets at 1 and 3 (3 cycles each: done at 6 and 9),
    # PE 1 at 3 and 5 (2 cycles each). Hidden neuron 1 (PE 0) fires when PE 0 is done (9), its
    # packet reaches PE 2 at 11, served by 14, written by 16; the output packet reaches the port
    # one hop later, at 18.
    assert sim.busy_cycles.ravel().tolist() == [6, 4, 3, 0]
    assert sim.latency_cycles == 18
    assert sim.router_packets[0, 0] == 6  # every packet passes the port's router


def test_spike_sources_spread_evenly_and_repeat_past_one_per_neuron() -> None:
    assert spike_sources(10, 5).tolist() == [1, 3, 5, 7, 9]
    assert np.bincount(spike_sources(4, 12), minlength=4).tolist() == [3, 3, 3, 3]
    assert len(spike_sources(10, 0.4)) == 0


def test_fifo_closed_form_matches_a_loop() -> None:
    rng = np.random.default_rng(0)
    arrival = np.sort(rng.uniform(0, 50, 200))
    work = rng.integers(1, 5, 200).astype(float)
    expected, free = [], 0.0
    for a, w in zip(arrival, work, strict=True):
        free = max(a, free) + w
        expected.append(free)
    np.testing.assert_allclose(fifo_finish(arrival, work), expected)


def test_router_load_matches_walking_every_xy_route() -> None:
    rng = np.random.default_rng(1)
    rows, cols, n = 5, 6, 300
    xs, xd = rng.integers(0, cols, n), rng.integers(0, cols, n)
    ys, yd = rng.integers(0, rows, n), rng.integers(0, rows, n)
    expected = np.zeros((rows, cols))
    for a, b, c, d in zip(xs, ys, xd, yd, strict=True):
        step = 1 if c >= a else -1
        path = [(b, x) for x in range(a, c + step, step)]
        step = 1 if d >= b else -1
        path += [(y, c) for y in range(b + step, d + step, step)] if d != b else []
        for y, x in path:
            expected[y, x] += 1
    np.testing.assert_array_equal(router_load(rows, cols, xs, ys, xd, yd), expected)


def test_energy_is_linear_in_spikes_without_leakage() -> None:
    cfg = YosoConfig(leakage_w_per_pe=0.0)
    model = YosoModel(cfg)
    # Input spikes all enter at the port and reach every hidden PE: each costs the same.
    one = model.estimate(fc_workload((784, 800, 10), (1, 0, 0))).energy_per_frame_j
    for s in (7, 50, 300):
        e = model.estimate(fc_workload((784, 800, 10), (s, 0, 0))).energy_per_frame_j
        assert e == pytest.approx(s * one, rel=1e-12)
    # One PE per layer: any spike of a layer costs the same, so scaling all counts scales energy.
    small = YosoModel(YosoConfig(rows=2, cols=2, neurons_per_pe=8, leakage_w_per_pe=0.0))
    base = small.estimate(fc_workload((6, 8, 3), (3, 2, 1), 3)).energy_per_frame_j
    triple = small.estimate(fc_workload((6, 8, 3), (9, 6, 3), 3)).energy_per_frame_j
    assert base > 0 and triple == pytest.approx(3 * base, rel=1e-12)
    # With leakage on, energy grows faster than the dynamic part alone (latency grows too).
    leaky = YosoModel(YosoConfig(leakage_w_per_pe=1e-3))
    r = leaky.estimate(fc_workload((784, 800, 10), (100, 80, 10)))
    assert r.breakdown["leakage"] == pytest.approx(1e-3 * 16 * r.latency_s)


@pytest.mark.parametrize("spikes", [(100, 80, 10), (784, 800, 10), (20, 400, 3), (5, 1, 0)])
def test_latency_is_the_critical_path_not_a_sum(spikes: tuple[int, int, int]) -> None:
    cfg = YosoConfig()
    sim = simulate(fc_workload((784, 800, 10), spikes), cfg)
    assert sim.latency_cycles >= sim.busy_cycles.max()
    # the hidden PEs work in parallel: the frame takes far less than their summed work
    assert sim.latency_cycles < 0.5 * sim.busy_cycles.sum()
    report = YosoModel(cfg).estimate(fc_workload((784, 800, 10), spikes))
    assert report.latency_s == pytest.approx(sim.latency_cycles / cfg.clock_hz)


def test_more_lanes_or_a_faster_clock_shorten_the_frame() -> None:
    w = fc_workload((784, 800, 10), (100, 80, 10))
    base = YosoModel(YosoConfig()).estimate(w)
    lanes = YosoModel(YosoConfig(lanes=4)).estimate(w)
    fast = YosoModel(YosoConfig(clock_hz=200e6)).estimate(w)
    assert lanes.latency_s < 0.5 * base.latency_s
    assert fast.latency_s == pytest.approx(base.latency_s / 2)
    assert lanes.breakdown["weight SRAM read"] == base.breakdown["weight SRAM read"]


def test_a_network_too_large_for_the_mesh_gives_a_clear_error() -> None:
    model = YosoModel()
    with pytest.raises(ValueError, match=r"needs 33 PEs .* 4x4 mesh has 16"):
        model.estimate(fc_workload((784, 2000, 10), (10, 10, 1)))
    with pytest.raises(ValueError, match=r"Layer 1 does not fit: a PE needs 88.0 KiB"):
        YosoModel(YosoConfig(neurons_per_pe=128)).estimate(fc_workload((784, 800, 10), (1, 1, 1)))
    # Recurrent weights need room too: 64 neurons x (100 + 500) inputs x 8 bits = 37.5 KiB.
    tight = YosoModel(YosoConfig(weight_sram_kib=10.0))
    assert tight.estimate(fc_workload((100, 500, 10), (1, 1, 1))).energy_per_frame_j > 0
    with pytest.raises(ValueError, match=r"Layer 1 does not fit: .*\(600 inputs"):
        tight.estimate(fc_workload((100, 500, 10), (1, 1, 1), recurrent=True))


def test_recurrent_spikes_reach_their_own_layer_by_hand() -> None:
    # SMALL's 4-3-2 network with a recurrent hidden layer. The hidden spike (neuron 1, PE 0,
    # ready at 9) now leaves PE 0's router three times: to PE 2 (one hop, arrives 11), to PE 0
    # itself (no hop, departs 10, arrives 11) and to PE 1 (one hop, departs 11, arrives 13).
    workload = fc_workload((4, 3, 2), (2, 1, 1), recurrent=True)
    sim = simulate(workload, SMALL)
    assert sim.events["packets"] == 4 + 3 + 1 and sim.events["core_events"] == 7
    assert sim.events["hops_x"] == 2 + 1 and sim.events["hops_y"] == 2
    # Synaptic updates equal the operation count: 2 x 3 + 1 x (2 output + 3 recurrent).
    assert sim.events["synaptic_updates"] == 11
    assert YosoModel(SMALL).estimate(workload).synaptic_ops == 11
    # PE 0 serves its own spike at 11-14 (3 cycles), PE 1 at 13-15 (2 cycles), after the
    # input packets; the output still reaches the port at 18, PE 1's state is written at 17.
    assert sim.busy_cycles.ravel().tolist() == [9, 6, 3, 0]
    assert sim.latency_cycles == 18
    assert sim.mapping.weight_kib.tolist() == pytest.approx(
        [2 * (4 + 3) / 1024, 1 * (4 + 3) / 1024, 2 * 3 / 1024])


@pytest.mark.parametrize(("field", "value"), [("rows", 0), ("neurons_per_pe", 1.5),
                                               ("clock_hz", -1.0), ("leakage_w_per_pe", -1e-6)])
def test_config_rejects_impossible_values(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        YosoConfig(**{field: value})


def test_mesh_utilisation_is_a_fraction_per_pe() -> None:
    report = YosoModel().estimate(fc_workload((784, 800, 10), (100, 80, 10)))
    util = np.array(report.extra["mesh"]["utilisation"])
    assert util.shape == (4, 4)
    assert ((util >= 0) & (util <= 1)).all()
    assert util.ravel()[14:].tolist() == [0.0, 0.0]  # unused PEs
    assert util.ravel()[:13].min() > 0.9  # the hidden PEs are the bottleneck
    for a, b in itertools.pairwise(report.extra["mesh"]["pe_layer"]):
        assert a <= b


def test_all_servers_at_once_match_one_fifo_per_server() -> None:
    """``_serve`` (segmented, one pass) equals ``fifo_finish`` run server by server."""
    rng = np.random.default_rng(1)
    n = 3000
    key = rng.integers(-1, 40, n)
    arrival = rng.integers(0, 200, n).astype(float)  # many equal arrivals: order breaks ties
    work = rng.integers(1, 6, n).astype(float)
    order = rng.permutation(n)
    expected = np.empty(n)
    for server in np.unique(key):
        jobs = np.flatnonzero(key == server)
        jobs = jobs[np.lexsort((order[jobs], arrival[jobs]))]
        expected[jobs] = fifo_finish(arrival[jobs], work[jobs])
    np.testing.assert_array_equal(_serve(key, arrival, work, order), expected)
    assert _serve(key[:0], arrival[:0], work[:0], order[:0]).shape == (0,)


def test_sort_index_is_lexsort() -> None:
    rng = np.random.default_rng(2)
    key, time = rng.integers(0, 9, 500), rng.integers(0, 30, 500).astype(float)
    order = rng.permutation(500)
    assert np.array_equal(_sort_index(key, time, order), np.lexsort((order, time, key)))
    assert np.array_equal(_sort_index(key, time), np.lexsort((time, key)))
    fractional = time + 0.5 * (key % 2)
    assert np.array_equal(_sort_index(key, fractional), np.lexsort((fractional, key)))


def test_frame_packets_is_known_before_simulating() -> None:
    for sizes, spikes, steps, rec in [((784, 800, 10), (100, 80, 10), 1, False),
                                      ((40, 30, 20, 10), (35, 25, 12, 6), 5, True)]:
        work = fc_workload(sizes, spikes, steps, recurrent=rec)
        cfg = YosoConfig(rows=12, cols=12, neurons_per_pe=8)
        assert frame_packets(work, cfg) == simulate(work, cfg).events["packets"]


def test_a_frame_too_large_to_simulate_is_refused_before_it_runs() -> None:
    cfg = YosoConfig(rows=64, cols=64, neurons_per_pe=4)
    work = fc_workload((784, 4096, 4096, 10), (784, 40960, 40960, 10), 100)
    assert frame_packets(work, cfg) > MAX_PACKETS
    with pytest.raises(ValueError, match="at most 20,000,000"):
        YosoModel(cfg).estimate(work)


def test_sweep_estimates_each_distinct_frame_once_and_reports_progress() -> None:
    calls: list[tuple[float, ...]] = []

    class Counting(YosoModel):
        def estimate(self, workload):  # type: ignore[no-untyped-def]
            calls.append(workload.spikes)
            return super().estimate(workload)

    work = fc_workload((784, 800, 10), (784, 800, 10))  # one step: factors >= 1 are all capped
    seen: list[tuple[int, int]] = []
    points = sweep(Counting(), work, (0.0, 0.5, 1.0, 2.0, 3.0), lambda d, t: seen.append((d, t)))
    assert len(calls) == len(set(calls)) == 3
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert [p.factor for p in points] == [0.0, 0.5, 1.0, 2.0, 3.0]
    assert points[2].energy_j == points[3].energy_j == points[4].energy_j > points[1].energy_j


def test_a_layer_without_input_spikes_still_emits_its_given_spikes() -> None:
    report = YosoModel().estimate(fc_workload((784, 100, 10), (100, 0, 10)))
    assert report.energy_per_frame_j > 0 and report.latency_s is not None


def test_absurd_meshes_and_networks_are_refused_before_allocating() -> None:
    with pytest.raises(ValueError, match="15,625,000,001 PEs"):
        map_network((784, 10**12, 10), YosoConfig())
    for field, value in (("rows", 10**12), ("cols", 1025), ("weight_bits", 10**20)):
        with pytest.raises(ValueError, match=f"{field} must be a whole number from 1 to"):
            YosoConfig(**{field: value})
