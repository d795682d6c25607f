"""Every figure builder of ``app/figures``, called once with data shaped like a page's.

``catalog()`` maps ``"module.function"`` to the figure; ``builders()`` lists every public
function of ``app/figures`` that returns a Plotly figure, so that a test can insist that each
one is in the catalog. The values are chosen to give the labels that clipped on slides: tick
labels such as 0.15 and 10000, long legend names on the right, subplot titles, colour bars.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

import app.figures
from app.figures import (
    benchmarks,
    encoding,
    grid_search,
    hardware,
    nas,
    neurons,
    playground,
    raster,
    relpsp,
    training,
)
from core.bench.curves import Curve as BenchCurve
from core.encoders import TTFSParams
from core.encoders.curve import firing_curve
from core.explorer import ExplorerConfig, compare_euler, explore
from core.hardware import fc_workload, make_model
from core.hardware.analysis import MeshView, SweepPoint, energy_breakdown, layer_bars
from core.neurons.params import PhysicalParams
from core.neurons.physical import MembraneODE
from core.neurons.relpsp import spike_time
from core.neurons.simulation import Neuron
from core.playground.session import Maps
from core.raster import spike_raster
from core.relpsp.summary import Curve, OutputTimes
from core.search.grid import PARAMS, SweepSummary, ValueSummary
from core.stimuli import InputSpec
from core.training.inspect import HistoryCurve, Traces

Build = Callable[[], go.Figure]


def builders() -> list[str]:
    """``"module.function"`` of every public function in ``app/figures`` that returns a
    figure (by its return annotation)."""
    names = []
    for info in pkgutil.iter_modules(app.figures.__path__):
        module = importlib.import_module(f"app.figures.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if (fn.__module__ == module.__name__ and not name.startswith("_")
                    and "Figure" in str(inspect.signature(fn).return_annotation)
                    and name != "sized"):
                names.append(f"{info.name}.{name}")
    return sorted(names)


def _neurons() -> dict[str, Build]:
    a = Neuron.make("synaptic", beta=0.9, alpha=0.8, threshold=1.0, reset="soft")
    b = Neuron.make("alif", beta=0.9, threshold=1.0, reset="hard")
    result = explore(ExplorerConfig(a, b, InputSpec("step", 1.0, onset=10), 200, 1.0, 1.5))
    ode = MembraneODE(PhysicalParams(tau_mem=10.0, dt=25.0), -65.0, 10.0, -50.0)
    times, weights = [1.0, 2.0, 3.0], [0.3, 0.3, 0.3]
    return {
        "neurons.traces_figure": lambda: neurons.traces_figure(result, 1.0, "ms"),
        "neurons.fi_figure": lambda: neurons.fi_figure(result, 1.0),
        "neurons.euler_figure": lambda: neurons.euler_figure(
            compare_euler(ode, 1.0, 300.0, "none"), ode),
        "neurons.relpsp_figure": lambda: neurons.relpsp_figure(
            times, weights, 1.0, 1.0, spike_time(times, weights, 1.0), None),
    }


def _training() -> dict[str, Build]:
    curve = HistoryCurve("run 12 (digits, 3 epochs)", [1, 2, 3], [2.31, 1.05, 0.15],
                         [0.35, 0.72, 0.915], [0.3, 0.7, 0.905])
    history = [{"epoch": e, "loss": 1.0 / e, "train_accuracy": 0.3 * e,
                "test_accuracy": 0.28 * e} for e in (1, 2, 3)]
    t = np.arange(100.0)
    traces = Traces(t, np.stack([np.sin(t / 9) * 0.15, np.cos(t / 7) * 0.15], 1),
                    ["neuron 10", "neuron 117"])
    classes = [str(k) for k in range(10)]
    return {
        "training.history_figure": lambda: training.history_figure({"run 12": history}),
        "training.curves_figure": lambda: training.curves_figure([curve]),
        "training.traces_figure": lambda: training.traces_figure(traces, "Hidden membranes"),
        "training.layers_figure": lambda: training.layers_figure(
            {"input": 48.5, "0": 120.25, "2": 33.0, "4": 9.5}),
        "training.confusion_figure": lambda: training.confusion_figure(
            np.arange(100).reshape(10, 10) * 13, classes),
    }


def _encoding() -> dict[str, Build]:
    rng = np.random.default_rng(0)
    curve = firing_curve(TTFSParams(), rng.uniform(0, 1, 64), 100)
    return {
        "encoding.input_figure": lambda: encoding.input_figure("image", rng.uniform(0, 1, (8, 8))),
        "encoding.curve_figure": lambda: encoding.curve_figure(curve),
        "encoding.braille_figure": lambda: encoding.braille_figure(
            rng.normal(0, 1000, (3, 50, 6)), "A", 40),
        "raster.raster_figure": lambda: raster.raster_figure(
            spike_raster((rng.uniform(0, 1, (100, 64)) > 0.95).astype(float), 1.0),
            "Spike raster (ttfs)", y_title="input", x_title="time (ms)", ticks=True,
            full_window=True),
    }


def _hardware() -> dict[str, Build]:
    workload = fc_workload((784, 800, 10), (120.0, 85.0, 10.0))
    reports = {n: make_model(n).estimate(workload) for n in ("ops", "ann")}
    mesh = MeshView(np.array([[0.95, 0.15], [0.5, 0.0]]),
                    np.array([["L1", "L1"], ["L2", "idle"]]), np.array([[12000, 15], [400, 0]]))
    points = [SweepPoint(f, 4000.0 * f, 0.15 * f, 2e-6 * f, None, 8e-6, {})
              for f in (0.5, 1.0, 2.0)]
    return {
        "hardware.layer_figure": lambda: hardware.layer_figure(layer_bars(reports["ops"])),
        "hardware.breakdown_figure": lambda: hardware.breakdown_figure(
            list(reports), energy_breakdown(reports)),
        "hardware.mesh_figure": lambda: hardware.mesh_figure(mesh),
        "hardware.sweep_figure": lambda: hardware.sweep_figure({"ops": points}),
    }


def _search() -> dict[str, Build]:
    per_value = [ValueSummary(p, 1.0, 1, 0.15, 0.145, 2.0, 1000.0 * (i + 1))
                 for i, p in enumerate(PARAMS)]
    summary = SweepSummary("sweep", {p: (1.0,) for p in PARAMS}, [], per_value, None, 1)
    rows = [{"spikes per sample": 1500.0 * k, "val accuracy": 0.15 + 0.1 * k,
             "run": f"Bayesian (study nas-{k})", "architecture": "LIF 16c3-32c3"}
            for k in range(1, 4)]
    best = {"Random (digits, small)": [{"trial": k, "seconds": 10.0 * k,
                                        "best_val_accuracy": 0.15 + 0.05 * k}
                                       for k in range(1, 6)]}
    found: dict[str, Build] = {
        "grid_search.per_value_figure": lambda: grid_search.per_value_figure(summary),
        "nas.spikes_figure": lambda: nas.spikes_figure(rows),
        "nas.progress_figure": lambda: nas.progress_figure(best, "seconds"),
    }
    if hasattr(nas, "front_figure"):
        found["nas.front_figure"] = lambda: nas.front_figure([], {}, True)
    return found


def _playground() -> dict[str, Build]:
    rng = np.random.default_rng(1)
    sizes = [2, 8, 8, 2]
    weights = [rng.normal(0, 1, (a, b)) for a, b in zip(sizes, sizes[1:], strict=False)]
    rates = [rng.uniform(0, 0.5, (8, 40, 40)), rng.uniform(0, 0.5, (8, 40, 40))]
    axis = np.linspace(-1.2, 1.2, 40)
    maps = Maps(axis, rng.uniform(0, 1, (40, 40)), rates)
    x, y = rng.uniform(-1, 1, (50, 2)), rng.integers(0, 2, 50)
    return {
        "playground.network_figure": lambda: playground.network_figure(
            sizes, weights, [r.reshape(8, -1) for r in rates], (1, 0)),
        "playground.decision_figure": lambda: playground.decision_figure(
            maps, x, y, x[:10], y[:10], (0.15, -0.15)),
        "playground.probe_figure": lambda: playground.probe_figure(
            np.sin(np.arange(60) / 5.0) * 1.15, (np.arange(60) % 9 == 0).astype(float), 1.0),
    }


def _relpsp() -> dict[str, Build]:
    out = OutputTimes([str(k) for k in range(10)], [1500.0 + 100 * k for k in range(10)],
                      [k == 9 for k in range(10)], 0, "0")
    layers = [Curve("relpsp", "fc0", 0, [0.0, 0.5, 1.0], [0.15, 0.5, 0.35]),
              Curve("relpsp", "out", 1, [0.0, 0.5, 1.0], [0.05, 0.15, 0.8])]
    dead = [Curve("relpsp", "fc0", 0, [1, 2, 3], [0.0, 0.0, 0.0]),
            Curve("alpha", "fc0", 0, [1, 2, 3], [0.0, 0.0, 0.0])]
    grads = [Curve("relpsp", "fc0", 0, [1, 2, 3], [15.0, 150.0, 1500.0]),
             Curve("alpha", "out", 1, [1, 2, 3], [0.15, 0.015, 0.0015])]
    return {
        "relpsp.output_times_figure": lambda: relpsp.output_times_figure(out, 117),
        "relpsp.class_times_figure": lambda: relpsp.class_times_figure(
            [600.0, 900.0, 1200.0], [1500.0, 5000.0, 12000.0, 20000.0]),
        "relpsp.histogram_figure": lambda: relpsp.histogram_figure(layers),
        "relpsp.epochs_figure": lambda: relpsp.epochs_figure(
            dead, "Dead-neuron ratio of hidden layers"),
        "relpsp.grad_figure": lambda: relpsp.grad_figure(grads),
    }


def _benchmarks() -> dict[str, Build]:
    rows = [{"implementation": name, "batch": batch, "median_s": seconds, "ratio": ratio}
            for batch in (16, 256)
            for name, seconds, ratio in (("SpikeLab fast (compiled)", 0.015 * batch / 16, 1.0),
                                         ("snnTorch 1.0 (Leaky)", 0.07 * batch / 16, 4.67),
                                         ("dense GEMM floor", 0.005 * batch / 16, 0.33))]
    curves = [BenchCurve("batch", [16.0, 64.0, 256.0], [0.015, 0.05, 0.2], 0.93, 64.0),
              BenchCurve("hidden", [100.0, 400.0, 1600.0], [0.01, 0.04, 0.15], 0.98, 400.0)]
    conv = [{"implementation": f"{name} (tutorial build)", "short": f"{name} {variant}",
             "build": variant, "batch": batch, "step_ms": ms * batch / 64, "ratio": ratio}
            for batch in (128, 64)
            for name, variant, ms, ratio in (("SpikeLab", "bf16", 124.0, 1.0),
                                             ("SpikingJelly", "tutorial", 319.0, 2.58),
                                             ("snnTorch", "matched", 226.0, 1.82),
                                             ("ReLU CNN floor", "tutorial", 254.0, 2.05))]
    return {
        "benchmarks.conv_figure": lambda: benchmarks.conv_figure(conv),
        "benchmarks.step_time_figure": lambda: benchmarks.step_time_figure(rows),
        "benchmarks.scaling_figure": lambda: benchmarks.scaling_figure(curves),
    }


def catalog() -> dict[str, Build]:
    """Each figure builder's figure, as a function that builds it."""
    return {**_neurons(), **_training(), **_encoding(), **_hardware(), **_search(),
            **_playground(), **_relpsp(), **_benchmarks()}
