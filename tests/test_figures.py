"""Each figure of app/figures draws the traces its small input asks for."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures import encoding, grid_search, hardware, nas, playground, relpsp, training
from app.figures.layout import sized
from app.figures.raster import raster_figure, spike_marks
from core.encoders import TTFSParams
from core.encoders.curve import firing_curve
from core.hardware import fc_workload, make_model
from core.hardware.analysis import (
    MeshView,
    SweepPoint,
    energy_breakdown,
    layer_bars,
)
from core.raster import spike_raster
from core.relpsp.summary import Curve, OutputTimes
from core.search.grid import PARAMS, SweepSummary, ValueSummary
from core.training.inspect import HistoryCurve, Traces


def kinds(fig: go.Figure) -> list[str]:
    return [t.type for t in fig.data]


def test_sized_sets_height_and_only_the_margins_given() -> None:
    fig = sized(go.Figure(), 300, top=20, bottom=None, title="t")
    assert fig.layout.height == 300 and fig.layout.margin.t == 20
    assert fig.layout.margin.b is None and fig.layout.title.text == "t"


def test_raster_figure_colours_off_spikes_and_keeps_the_window() -> None:
    r = spike_raster(np.array([[1, 0], [0, -1]]), dt=2.0)
    fig = raster_figure(r, "R", ticks=True, full_window=True)
    (trace,) = fig.data
    assert trace.type == "scattergl" and list(trace.x) == [0.0, 2.0]
    assert list(trace.marker.color) == ["black", "crimson"]
    assert trace.marker.symbol == "line-ns-open"
    assert fig.layout.xaxis.range == (0, 4.0) and fig.layout.title.text == "R"
    dots = raster_figure(r, "R", y_title="channel")
    assert dots.data[0].marker.symbol is None and dots.layout.yaxis.title.text == "channel"


def test_spike_marks_one_tick_per_spike() -> None:
    trace = spike_marks(np.arange(4), np.array([0, 1, 0, 1]), 1.5, "spikes", "#000", width=2)
    assert list(trace.x) == [1, 3] and list(trace.y) == [1.5, 1.5]
    assert trace.marker.line.width == 2


def test_training_figures() -> None:
    curve = HistoryCurve("run 1", [1, 2], [2.0, 1.0], [0.3, 0.5], [0.2, 0.4])
    fig = training.curves_figure([curve, curve._replace(name="run 2")])
    assert [t.name for t in fig.data[:3]] == ["run 1 loss", "run 1 train", "run 1 test"]
    assert len(fig.data) == 6
    history = [{"epoch": 1, "loss": 1.0, "train_accuracy": 0.5, "test_accuracy": 0.4}]
    assert len(training.history_figure({"run": history}).data) == 3
    traces = Traces(np.arange(3.0), np.zeros((3, 2)), ["a", "b"])
    assert [t.name for t in training.traces_figure(traces, "T").data] == ["a", "b"]
    assert kinds(training.layers_figure({"input": 3.0, "hidden": 2.0})) == ["bar"]
    assert kinds(training.confusion_figure(np.eye(2), ["x", "y"])) == ["heatmap"]


def test_relpsp_figures() -> None:
    out = OutputTimes(["0", "1"], [1.0, 1.1], [False, True], 0, "0")
    bar = relpsp.output_times_figure(out, 3).data[0]
    assert list(bar.marker.color) == [relpsp.WIN, relpsp.OTHER] and list(bar.text) == ["",
                                                                                       "silent"]
    assert kinds(relpsp.class_times_figure([1.0], [2.0, 3.0])) == ["box", "box"]
    layers = [Curve("", "fc0", 0, [0.5], [1.0]), Curve("", "out", 1, [0.5], [1.0])]
    assert [t.name for t in relpsp.histogram_figure(layers).data] == ["hidden fc0", "output"]
    series = [Curve("relpsp", "fc0", 0, [1, 2], [0.1, 0.2]),
              Curve("alpha", "fc1", 1, [1, 2], [0.3, 0.1])]
    fig = relpsp.epochs_figure(series, "dead", log=True)
    assert [t.name for t in fig.data] == ["ReL-PSP fc0", "alpha-PSP fc1"]
    assert fig.data[1].line.dash == "dash" and fig.layout.yaxis.type == "log"
    assert kinds(relpsp.grad_figure(series)) == ["scatter", "scatter"]


def test_hardware_figures() -> None:
    workload = fc_workload((4, 3, 2), (2, 1, 1))
    reports = {n: make_model(n).estimate(workload) for n in ("ops", "ann")}
    assert [t.name for t in hardware.layer_figure(layer_bars(reports["ops"])).data] == [
        "spikes", "ACs", "MACs"]
    breakdown = energy_breakdown(reports)
    fig = hardware.breakdown_figure(list(reports), breakdown)
    assert len(fig.data) == len(breakdown)
    assert list(fig.data[0].x) == ["SNN op count", "ANN, same shape"]
    mesh = MeshView(np.array([[0.5, 0.0]]), np.array([["L1", "idle"]]), np.array([[2, 0]]))
    fig = hardware.mesh_figure(mesh)
    assert kinds(fig) == ["heatmap", "heatmap"] and fig.data[0].text[0][0] == "L1<br>0.50"
    points = [SweepPoint(f, 4.0 * f, 0.5 * f, 2e-9 * f, None, 8e-9, {}) for f in (1.0, 2.0)]
    fig = hardware.sweep_figure({"ops": points})
    assert [t.name for t in fig.data] == ["SNN op count", "ANN, same shape"]
    assert list(fig.data[1].y) == [8.0, 8.0]  # nJ


def test_grid_search_figure() -> None:
    per_value = [ValueSummary(p, 1.0, 1, 0.5, 0.4, 2.0, 10.0 * i) for i, p in enumerate(PARAMS)]
    summary = SweepSummary("s", {p: (1.0,) for p in PARAMS}, [], per_value, None, 1)
    fig = grid_search.per_value_figure(summary)
    assert len(fig.data) == 4 * len(PARAMS) and fig.layout.height == 640
    spikes = [trace for trace in fig.data if trace.name == "hidden spikes"]
    assert len(spikes) == len(PARAMS)
    for trace, name in zip(spikes, PARAMS, strict=True):
        expected = [v.mean_spikes_per_sample for v in summary.per_value if v.param == name]
        assert list(trace.y) == expected


def test_nas_figures() -> None:
    assert nas.spikes_figure([]).layout.title.text == "No spiking trials (DNN only)"
    rows = [{"spikes per sample": 1.0, "val accuracy": 0.5, "run": "Random",
             "architecture": "LIF"}]
    assert kinds(nas.spikes_figure(rows)) == ["scatter"]
    best = {"Random (s)": [{"trial": 1, "seconds": 2.0, "best_val_accuracy": 0.5}]}
    fig = nas.progress_figure(best, "seconds")
    assert list(fig.data[0].x) == [2.0] and fig.layout.yaxis.range == (0.48, 0.51)


def test_encoding_figures() -> None:
    assert kinds(encoding.input_figure("image", np.zeros((4, 4)))) == ["heatmap"]
    assert kinds(encoding.input_figure("image", np.zeros((3, 4, 4)))) == ["image"]
    assert kinds(encoding.input_figure("timeseries", np.zeros((5, 2)))) == ["scatter"] * 2
    curve = firing_curve(TTFSParams(), np.array([0.5, 0.9]), 100)
    assert kinds(encoding.curve_figure(curve)) == ["scatter", "scatter"]
    fig = encoding.braille_figure(np.zeros((2, 5, 3)), "A", 7)
    assert len(fig.data) == 6 and fig.layout.title.text == "Braille 'A': 2 of 7 recordings"


def test_playground_probe_figure() -> None:
    fig = playground.probe_figure(np.array([0.0, 1.2, 0.1]), np.array([0, 1, 0]), 1.0)
    assert [t.name for t in fig.data] == ["membrane", "spikes"]
    assert list(fig.data[1].x) == [1]


def test_playground_rate_sheet_lays_every_neuron_out_without_overlap() -> None:
    rates = np.zeros((20, 4, 4))
    rates[17] = 1.0
    sheet = playground.rate_sheet(rates, per_row=16)
    tile, gap = 4 * 2 + 2, playground.SHEET_GAP  # a 2x tile in a 1-px frame
    assert sheet.shape == (2 * tile + gap, 16 * tile + 15 * gap, 3)
    y, x = tile + gap, (tile + gap) * 1  # neuron 17: second row, second tile
    assert (sheet[y + 1:y + tile - 1, x + 1:x + tile - 1] == (217, 72, 15)).all()
    assert (sheet[1:tile - 1, 1:tile - 1] == 255).all()  # neuron 0 silent: white
    assert (sheet[:, tile:tile + gap] == 255).all()  # the gap between two tiles


def test_playground_decision_legend_keeps_shape_and_class_colour_apart() -> None:
    from core.playground.session import Maps

    axis = np.linspace(-1.2, 1.2, 5)
    maps = Maps(axis, np.full((5, 5), 0.5), [])
    x, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    fig = playground.decision_figure(maps, x, y, x, y, (0.0, 0.0))
    keys = {t.name: t.marker.color for t in fig.data if t.showlegend is not False
            and t.type == "scatter"}
    assert keys == {"class 0": playground.NEG, "class 1": playground.POS,
                    "train": playground.KEY, "test": playground.KEY, "probe": "#ffd43b"}
    assert fig.layout.xaxis.constrain == "domain" and fig.layout.yaxis.constrain == "domain"


def test_the_relpsp_axes_read_on_a_slide() -> None:
    box = relpsp.class_times_figure([600.0, 900.0], [1500.0, 20000.0])
    assert box.layout.yaxis.type == "log" and box.layout.yaxis.dtick == 1
    assert "t_max" in box.layout.yaxis.title.text  # spike times say their unit
    narrow = relpsp.class_times_figure([1.0, 1.2], [1.5, 2.0])
    assert narrow.layout.yaxis.type == "linear"  # under a decade: no log labels to crowd
    dead = relpsp.epochs_figure([Curve("relpsp", "fc0", 0, [1, 2], [0.0, 0.0])], "dead")
    assert dead.layout.yaxis.rangemode == "nonnegative"


def test_layer_names_stay_names_on_the_bar_axes() -> None:
    assert training.layers_figure({"input": 1.0, "0": 2.0}).layout.xaxis.type == "category"
    workload = fc_workload((4, 3, 2), (2, 1, 1))
    fig = hardware.layer_figure(layer_bars(make_model("ops").estimate(workload)))
    assert fig.layout.xaxis.type == "category" and fig.layout.xaxis2.type == "category"


def test_an_image_fills_its_axes_and_the_curve_marks_show() -> None:
    fig = encoding.input_figure("image", np.zeros((8, 8)))
    assert fig.layout.xaxis.constrain == "domain" and fig.layout.yaxis.scaleanchor == "x"
    curve = encoding.curve_figure(firing_curve(TTFSParams(), np.array([0.5, 0.9]), 100))
    assert curve.data[1].marker.size >= 8 and curve.data[1].marker.opacity >= 0.8
