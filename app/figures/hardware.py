"""Figures of the Hardware page, drawn from ``core.hardware.analysis``."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.layout import MEDIUM, TALL, sized
from core.hardware.analysis import LayerBars, MeshView, SweepPoint
from core.hardware.registry import get_model, model_names

NJ = 1e9  # joules -> nJ


def model_title(name: str) -> str:
    """The label a figure gives the registry's model ``name`` ("YOSO mesh")."""
    return get_model(name).label


def layer_figure(bars: LayerBars) -> go.Figure:
    """Spikes per layer (left) and synaptic ops, ACs stacked on MACs (right)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Spikes per frame", "Synaptic ops"))
    fig.add_bar(x=bars.names, y=bars.spikes, name="spikes", row=1, col=1)
    fig.add_bar(x=bars.names, y=bars.synaptic_ops, name="ACs", row=1, col=2)
    fig.add_bar(x=bars.names, y=bars.macs, name="MACs", row=1, col=2)
    # layer names as written (an imported graph's "0", "2", "4" are names, not numbers: a
    # numeric axis dropped "input" and drew 0..4)
    fig.update_xaxes(type="category")
    return sized(fig, MEDIUM, barmode="stack")


def breakdown_figure(models: list[str], breakdown: dict[str, list[float]]) -> go.Figure:
    """Energy per frame of each model, stacked by category (``energy_breakdown``)."""
    fig = go.Figure()
    for category, joules in breakdown.items():
        fig.add_bar(x=[model_title(n) for n in models], y=[j * NJ for j in joules],
                    name=category)
    return sized(fig, 380, top=20, bottom=None, barmode="stack", yaxis_title="nJ per frame")


def mesh_figure(mesh: MeshView) -> go.Figure:
    """PE utilisation labelled with each PE's layer, and packets per router."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("PE utilisation", "Packets per router"))
    text = [f"{name}<br>{u:.2f}" for name, u in zip(mesh.layers.ravel(),
                                                     mesh.utilisation.ravel(), strict=True)]
    fig.add_trace(go.Heatmap(z=mesh.utilisation, zmin=0, zmax=1, colorscale="Viridis",
                             text=np.reshape(text, mesh.utilisation.shape),
                             texttemplate="%{text}", colorbar={"x": 0.45}), row=1, col=1)
    fig.add_trace(go.Heatmap(z=mesh.router_packets, zmin=0, colorscale="Blues",
                             texttemplate="%{z:.0f}"), row=1, col=2)
    fig.update_yaxes(autorange="reversed", title_text="row")
    fig.update_xaxes(title_text="column")
    return sized(fig, TALL, bottom=None)


def sweep_figure(points: dict[str, list[SweepPoint]]) -> go.Figure:
    """Energy per frame against spike rate for each model, the baseline ANN's as a dashed
    line."""
    fig = go.Figure()
    for name, pts in points.items():
        fig.add_scatter(x=[p.rate for p in pts], y=[p.energy_j * NJ for p in pts],
                        mode="lines+markers", name=model_title(name))
    first = next(iter(points.values()))
    fig.add_scatter(x=[first[0].rate, first[-1].rate], y=[first[0].ann_energy_j * NJ] * 2,
                    mode="lines", name=model_title(model_names(baseline=True)[0]),
                    line={"dash": "dash"})
    return sized(fig, TALL, top=20, bottom=None,
                 xaxis_title="spikes per neuron per step (input excluded)",
                 yaxis_title="nJ per frame")
