"""Figures of the NAS page, drawn from ``core.nas.summary``.

Study names and labels come from a storage anybody may have written: Plotly renders a subset of
HTML in trace names and hover text (``<a href>`` among it), so they are HTML-escaped here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from app.text import plain
from core.nas.front import FrontPoint, describe_point
from core.nas.summary import accuracy_range


def spikes_figure(points: list[dict[str, Any]]) -> go.Figure:
    """Validation accuracy against spikes per sample (``spike_points``), colour by run."""
    if not points:
        return go.Figure().update_layout(title="No spiking trials (DNN only)")
    frame = pd.DataFrame(points)
    for column in ("run", "architecture"):
        frame[column] = frame[column].map(plain)
    return px.scatter(frame, x="spikes per sample", y="val accuracy",
                      color="run", hover_data=["architecture"],
                      title="Validation accuracy against spikes")


def progress_figure(best: dict[str, list[dict[str, float]]], x_axis: str) -> go.Figure:
    """Best validation accuracy so far per study (``best_so_far``) against trial or seconds."""
    fig = go.Figure()
    values: list[float] = []
    for name, points in best.items():
        values += [p["best_val_accuracy"] for p in points]
        fig.add_scatter(x=[p[x_axis] for p in points],
                        y=[p["best_val_accuracy"] for p in points], mode="lines+markers",
                        name=plain(name), line_shape="hv")
    y_range = accuracy_range(values)
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig.update_layout(title="Best validation accuracy so far, per study",
                             xaxis_title=x_axis, yaxis_title="val accuracy")


def front_figure(points: list[FrontPoint], fronts: dict[str, list[FrontPoint]],
                 log_energy: bool = True) -> go.Figure:
    """Accuracy against energy per frame: every priced trial (faint) and each condition's
    non-dominated trials joined (``core.nas.front.condition_fronts``); hover from
    ``describe_point``."""
    fig = go.Figure()
    palette = px.colors.qualitative.Plotly
    for i, (condition, front) in enumerate(fronts.items()):
        colour = palette[i % len(palette)]
        every = [p for p in points if p.condition == condition]
        for trace, mode, opacity, shown in ((every, "markers", 0.35, False),
                                            (front, "lines+markers", 1.0, True)):
            fig.add_scatter(
                x=[p.energy_j for p in trace], y=[p.accuracy for p in trace], mode=mode,
                name=plain(condition) + ("" if shown else " (all trials)"),
                legendgroup=plain(condition), showlegend=True, opacity=opacity,
                line_shape="hv" if shown else None, marker_color=colour,
                hovertext=["<br>".join(plain(line) for line in describe_point(p))
                           for p in trace], hoverinfo="text",
            )
    if log_energy:
        fig.update_xaxes(type="log")
    return fig.update_layout(title="Pareto fronts: validation accuracy against energy per frame",
                             xaxis_title="energy per frame (J)", yaxis_title="val accuracy")
