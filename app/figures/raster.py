"""The one spike raster (time x neuron) and the spike marks drawn beside a membrane."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.layout import SHORT, sized
from core.raster import SpikeRaster

ON, OFF = "black", "crimson"  # spike, off-spike (delta code)


def raster_figure(raster: SpikeRaster, title: str, *, y_title: str = "neuron",
                  x_title: str = "time (ms)", height: int = SHORT, ticks: bool = False,
                  full_window: bool = False) -> go.Figure:
    """Events as dots (``ticks``: vertical ticks, for codes with few spikes per input);
    ``full_window`` keeps the x axis at the whole window even where no spike falls."""
    marker = {"size": 4 if ticks else 3, "color": np.where(raster.signs > 0, ON, OFF)}
    if ticks:
        marker["symbol"] = "line-ns-open"
    fig = go.Figure(go.Scattergl(x=raster.times, y=raster.units, mode="markers",
                                 marker=marker))
    if full_window:
        fig.update_layout(xaxis_range=[0, raster.duration])
    return sized(fig, height, title=title, xaxis_title=x_title, yaxis_title=y_title)


def spike_marks(x: np.ndarray, spikes: np.ndarray, y: float, name: str, color: str,
                width: float | None = None) -> go.Scatter:
    """A tick at height ``y`` for each step where ``spikes`` > 0 (beside a membrane trace)."""
    hit = np.asarray(spikes) > 0
    marker: dict = {"symbol": "line-ns-open", "size": 14, "color": color}
    if width is not None:
        marker["line"] = {"width": width}
    return go.Scatter(x=np.asarray(x)[hit], y=np.full(int(hit.sum()), y), mode="markers",
                      name=name, marker=marker)
