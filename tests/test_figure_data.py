"""The data each page figure shows, computed in core: hand-made inputs, hand-checked values."""

from __future__ import annotations

import numpy as np
import pytest

from core.encoders import LatencyParams, RateParams, TTFSParams
from core.encoders.curve import firing_curve
from core.hardware import fc_workload, make_model
from core.hardware.analysis import energy_breakdown, layer_bars, mesh_view
from core.nas.summary import TrialRecord, accuracy_range, spike_points
from core.raster import spike_raster
from core.relpsp.summary import (
    class_times,
    epoch_series,
    grad_histograms,
    output_times,
    time_histogram,
)
from core.training.inspect import (
    Recording,
    default_neurons,
    history_curves,
    membrane_traces,
    readout_traces,
)


def test_spike_raster_events_in_time_order_with_signs() -> None:
    spikes = np.array([[0, 1, 0], [2, 0, -1], [0, 0, 0], [0, 1, 0]])
    r = spike_raster(spikes, dt=0.5)
    assert r.times.tolist() == [0.0, 0.5, 0.5, 1.5]
    assert r.units.tolist() == [1, 0, 2, 1]
    assert r.signs.tolist() == [1, 1, -1, 1]  # a count of 2 is one event
    assert r.duration == 2.0 and r.count == 4


def test_spike_raster_rejects_other_shapes() -> None:
    with pytest.raises(ValueError, match="time, units"):
        spike_raster(np.zeros((2, 3, 4)))


# -- Training ------------------------------------------------------------------------------

HISTORY = [{"epoch": 1, "loss": 2.0, "train_accuracy": 0.3, "test_accuracy": 0.25},
           {"epoch": 2, "loss": 1.5, "train_accuracy": 0.5, "test_accuracy": 0.4}]


def _recording() -> Recording:
    hidden = np.zeros((4, 1, 5))
    hidden[1, 0, 3] = hidden[2, 0, 1] = 1
    mem = np.arange(20, dtype=float).reshape(4, 1, 5)
    readout = np.array([[[0.1, 0.2]], [[0.3, 0.1]], [[0.5, 0.0]], [[0.2, 0.4]]])
    return Recording([7], np.array([0]), np.array([0]), np.zeros((4, 1, 2)), None, hidden, mem,
                     readout, dt_ms=2.0)


def test_history_curves_per_run() -> None:
    (curve,) = history_curves({"run 3": HISTORY})
    assert curve.name == "run 3" and curve.epochs == [1, 2] and curve.loss == [2.0, 1.5]
    assert curve.train_accuracy == [0.3, 0.5] and curve.test_accuracy == [0.25, 0.4]
    assert history_curves({}) == []


def test_traces_and_default_neurons() -> None:
    rec = _recording()
    mem = membrane_traces(rec, [3, 0])
    assert mem.time.tolist() == [0.0, 2.0, 4.0, 6.0] and mem.names == ["neuron 3", "neuron 0"]
    assert mem.values[:, 0].tolist() == [3, 8, 13, 18] and mem.values[:, 1].tolist() == [0, 5,
                                                                                        10, 15]
    out = readout_traces(rec, ("a", "b"))
    assert out.names == ["a", "b"] and out.values[2].tolist() == [0.5, 0.0]
    assert default_neurons(rec, hidden=5) == [1, 3]  # the neurons that fired, in order
    silent = Recording([0], rec.labels, rec.predictions, rec.inputs, None, 0 * rec.hidden_spikes,
                       rec.hidden_mem, rec.readout, 2.0)
    assert default_neurons(silent, hidden=5) == [0, 1, 2]
    assert default_neurons(silent, hidden=2) == [0, 1]


# -- ReL-PSP -------------------------------------------------------------------------------

METRICS = {"classes": ["0", "1", "2"],
           "samples": {"output_times": [[2.0, None, 1.0], [None, None, None]], "labels": [2, 1]}}


def _run(psp: str) -> dict:
    layers = {"fc0": {"dead_ratio": 0.5, "grad_max_abs": 1e-3},
              "out": {"dead_ratio": 0.0, "grad_max_abs": 2e-3}}
    hist = {"edges": [0.0, 1.0, 2.0], "counts": {"fc0": [1, 3], "out": [0, 0]}}
    return {"config": {"psp": psp}, "history": [
        {"epoch": 1, "layers": layers, "time_hist": hist, "grad_hist": hist},
        {"epoch": 2, "layers": {k: {n: 2 * v for n, v in d.items()} for k, d in layers.items()},
         "time_hist": hist, "grad_hist": hist}]}


def test_output_times_draws_silent_neurons_late() -> None:
    out = output_times(METRICS, 0)
    assert out.shown == [2.0, pytest.approx(2.2), 1.0] and out.silent == [False, True, False]
    assert out.winner == 2 and out.label == "2"
    all_silent = output_times(METRICS, 1)
    assert all_silent.shown == [pytest.approx(1.1)] * 3 and all_silent.winner == 0


def test_class_times_split_true_class_from_the_others() -> None:
    assert class_times(METRICS) == ([1.0], [2.0])


def test_histograms_and_epoch_series() -> None:
    run = _run("alpha")
    (fc0, out) = time_histogram(run["history"])
    assert fc0.x == [0.5, 1.5] and fc0.y == [0.25, 0.75] and out.y == [0.0, 0.0]
    series = epoch_series([_run("relpsp"), run], "dead_ratio")
    assert [(c.psp, c.layer, c.index) for c in series] == [("relpsp", "fc0", 0),
                                                           ("alpha", "fc0", 0)]
    assert series[0].x == [1, 2] and series[0].y == [0.5, 1.0]
    every = epoch_series([run], "grad_max_abs", layers="all")
    assert [c.layer for c in every] == ["fc0", "out"] and every[1].y == [2e-3, 4e-3]
    grads = grad_histograms([run])
    assert [(c.layer, c.index) for c in grads] == [("fc0", 0), ("out", 1)]
    assert grads[0].y == [0.25, 0.75]


# -- Hardware ------------------------------------------------------------------------------


def test_layer_bars_and_breakdown() -> None:
    workload = fc_workload((4, 3, 2), (2, 1, 1))
    reports = {name: make_model(name).estimate(workload) for name in ("ops", "ann")}
    bars = layer_bars(reports["ops"])
    assert bars.names == [x.name for x in reports["ops"].layers]
    assert bars.spikes == [2, 1, 1]
    assert bars.synaptic_ops[:2] == [2 * 3, 1 * 2]  # spikes x fan-out
    breakdown = energy_breakdown(reports)
    for category, joules in breakdown.items():
        assert joules == [r.breakdown.get(category, 0.0) for r in reports.values()]
    assert set(breakdown) == {k for r in reports.values() for k in r.breakdown}


def test_mesh_view_labels_idle_pes() -> None:
    mesh = {"utilisation": [[0.5, 0.25], [0.0, 0.0]], "pe_layer": [1, 2, 2],
            "router_packets": [[3, 1], [0, 0]]}
    view = mesh_view(mesh)
    assert view.layers.tolist() == [["L1", "L2"], ["L2", "idle"]]
    assert view.utilisation.shape == view.router_packets.shape == (2, 2)


# -- NAS -----------------------------------------------------------------------------------


def _trial(number: int, spikes: float | None, acc: float | None) -> TrialRecord:
    return TrialRecord("s", number, "COMPLETE" if acc is not None else "RUNNING", "random", None,
                       acc, None, spikes, None, None, None, None, None)


def test_spike_points_and_accuracy_range() -> None:
    rows = spike_points([_trial(0, 10.0, 0.5), _trial(1, None, 0.6), _trial(2, 3.0, None)])
    assert rows == [{"spikes per sample": 10.0, "val accuracy": 0.5, "run": "Random",
                     "architecture": "? (Random)"}]
    assert accuracy_range([]) is None
    lo, hi = accuracy_range([0.5, 0.7])
    assert lo == pytest.approx(0.48) and hi == pytest.approx(0.71)
    assert accuracy_range([0.01, 1.0]) == (0.0, 1.01)


# -- Encoding ------------------------------------------------------------------------------


def test_firing_curve_ttfs_and_latency() -> None:
    x = np.array([0.1, 0.5, 1.0])
    ttfs = firing_curve(TTFSParams(tau=10.0, thr=0.2, tmax=50.0), x, steps=100)
    assert ttfs.window == 50.0 and ttfs.threshold == 0.2 and ttfs.window_label == "tmax"
    assert ttfs.grid.shape == ttfs.curve.shape == (401,)
    assert ttfs.marks[0] == 50.0  # below threshold: tmax
    assert ttfs.marks[2] == pytest.approx(10.0 * np.log(1.0 / 0.8))
    assert ttfs.curve.max() <= 150.0  # cut at 3 x tmax
    lat = firing_curve(LatencyParams(tau=5.0, normalize=True), x, steps=20)
    assert lat.window == 19.0 and lat.window_label == "last step" and lat.threshold == 0.01
    assert lat.marks[2] < lat.marks[1] < lat.marks[0]  # stronger inputs fire earlier
    with pytest.raises(ValueError, match="No firing-time curve"):
        firing_curve(RateParams(), x, steps=20)
