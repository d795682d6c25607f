"""Figures of the ReL-PSP page, drawn from ``core.relpsp.summary``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from app.figures.layout import sized
from core.relpsp.summary import PSP_TITLES, Curve, OutputTimes

COLORS = {"relpsp": "#1f77b4", "alpha": "#d62728"}
DASHES = ("solid", "dash", "dot")
WIN, OTHER, TRUE = "#2ca02c", "#9aa8b8", "#2ca02c"
HEIGHT = 330
# Times are in units of the input window (core.relpsp.config): inputs spike in [0, t_max].
TIME = "spike time (inputs in [0, t_max])"


def _sized(fig: go.Figure, **layout) -> go.Figure:
    return sized(fig, HEIGHT, top=50, bottom=None, **layout)


def _line(c: Curve) -> dict:
    return {"color": COLORS[c.psp], "dash": DASHES[c.index % len(DASHES)]}


def output_times_figure(out: OutputTimes, sample: int) -> go.Figure:
    """One bar per output neuron: its spike time; the earliest (the answer) in green."""
    colors = [WIN if k == out.winner else OTHER for k in range(len(out.shown))]
    fig = go.Figure(go.Bar(x=out.classes, y=out.shown, marker_color=colors,
                           text=["silent" if s else "" for s in out.silent]))
    return _sized(fig, title=f"Output spike times of test sample {sample} (label {out.label}; "
                  f"earliest wins: {out.classes[out.winner]})", xaxis_title="output neuron",
                  yaxis_title=TIME)


def class_times_figure(own: Sequence[float], other: Sequence[float]) -> go.Figure:
    """Boxes of the true class's output spike times against the other outputs'."""
    fig = go.Figure()
    for vals, name, color in ((own, "neuron of the true class", TRUE),
                              (other, "other output neurons", OTHER)):
        fig.add_trace(go.Box(y=list(vals), name=name, marker_color=color, boxpoints=False))
    values = [v for v in (*own, *other) if v > 0]
    decades = math.log10(max(values) / min(values)) if values else 0.0
    # A log axis labels only its powers of ten ("2 5 10k 2 5" crowded); under one decade
    # a linear axis reads better.
    _sized(fig, title="Output spike times: the true class fires first", yaxis_title=TIME,
           yaxis_type="log" if decades >= 1 else "linear")
    return fig.update_yaxes(dtick=1) if decades >= 1 else fig


def histogram_figure(layers: Sequence[Curve]) -> go.Figure:
    """Overlaid spike-time histograms of the layers of one run."""
    fig = go.Figure()
    for c in layers:
        fig.add_trace(go.Bar(x=c.x, y=c.y, opacity=0.6,
                             name="output" if c.layer == "out" else f"hidden {c.layer}"))
    return _sized(fig, barmode="overlay", title="Spike times: hidden layers fire before the "
                  "output", xaxis_title=f"{TIME}; last bin: the latest 1 %",
                  yaxis_title="fraction of the layer's spikes")


def epochs_figure(series: Sequence[Curve], title: str, log: bool = False) -> go.Figure:
    """A per-layer number against the epoch, colour by kernel, dash by layer."""
    fig = go.Figure()
    for c in series:
        fig.add_trace(go.Scatter(x=c.x, y=c.y, mode="lines+markers",
                                 name=f"{PSP_TITLES[c.psp]} {c.layer}", line=_line(c)))
    # a ratio or count never goes below 0 (an all-zero dead ratio drew a -1..1 axis)
    return _sized(fig, title=title, xaxis_title="epoch", yaxis_type="log" if log else "linear",
                  yaxis_rangemode="normal" if log else "nonnegative")


def grad_figure(series: Sequence[Curve]) -> go.Figure:
    """Histograms of log10 |gradient| per layer and kernel, as lines."""
    fig = go.Figure()
    for c in series:
        fig.add_trace(go.Scatter(x=c.x, y=c.y, name=f"{PSP_TITLES[c.psp]} {c.layer}",
                                 mode="lines", line=_line(c)))
    return _sized(fig, title="Weight gradients in the last epoch (non-zero ones)",
                  xaxis_title="log10 |dL/dw|", yaxis_title="fraction")
