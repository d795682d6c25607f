"""Figures of the Encoding page: the input, the firing-time curve, the Braille recordings.

The spike rasters of this page (every code, SHD samples) are ``app.figures.raster``'s.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.layout import MEDIUM, sized
from core.encoders.curve import FiringCurve


def input_figure(kind: str, x: np.ndarray) -> go.Figure:
    """An image sample (grey or RGB [3, H, W] in [0, 1]) or a time series [time, channels]."""
    if kind == "image":
        img = np.transpose(x, (1, 2, 0)) if x.ndim == 3 else x
        fig = go.Figure(go.Image(z=(img * 255).astype(np.uint8)) if x.ndim == 3 else
                        go.Heatmap(z=img, colorscale="gray_r", showscale=False))
        # Square pixels filling the height: the x axis shrinks its domain to the image rather
        # than stretching its range (an 8x8 digit sat small in a -5..10 axis).
        fig.update_xaxes(constrain="domain", showgrid=False, zeroline=False)
        fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain",
                         showgrid=False, zeroline=False)
    else:
        fig = go.Figure([go.Scatter(y=x[:, c], name=f"ch {c}", mode="lines")
                         for c in range(x.shape[1])])
        fig.update_layout(xaxis_title="step", yaxis_title="standardised value")
    return sized(fig, MEDIUM, title="Input")


def curve_figure(curve: FiringCurve) -> go.Figure:
    """T(x), the sample's inputs on it, the threshold and the window's end."""
    fig = go.Figure(go.Scatter(x=curve.grid, y=curve.curve, name="T(x)"))
    fig.add_trace(go.Scatter(x=curve.x, y=curve.marks, mode="markers",
                             name="this sample",
                             marker={"size": 9, "opacity": 0.85, "line": {"width": 1,
                                                                       "color": "#212529"}}))
    fig.add_vline(x=curve.threshold, line_dash="dash", annotation_text="thr")
    fig.add_hline(y=curve.window, line_dash="dot", annotation_text=curve.window_label)
    return sized(fig, MEDIUM, title="Firing time T(x)", xaxis_title="input x", yaxis_title="T")


def braille_figure(recordings: np.ndarray, letter: str, total: int) -> go.Figure:
    """Each taxel's trace in its own panel, one line per recording [reps, time, taxels]."""
    taxels = recordings.shape[2]
    fig = make_subplots(rows=1, cols=taxels,
                        subplot_titles=[f"taxel {c}" for c in range(taxels)])
    for r, rec in enumerate(recordings):
        for c in range(taxels):
            fig.add_trace(go.Scatter(y=rec[:, c], mode="lines", showlegend=False,
                                     line={"width": 1}, name=f"rep {r}"), row=1, col=c + 1)
    return sized(fig, 300, top=60, title=f"Braille '{letter}': {len(recordings)} of {total} "
                 "recordings")
