"""Figure of the Grid search page: mean accuracy, hidden spikes and time per value of each
parameter."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.layout import sized
from core.search.grid import PARAMS, SweepSummary

LABELS = {"hidden": "hidden neurons", "steps": "time steps", "scale": "surrogate scale",
          "reg": "regulariser"}


def per_value_figure(summary: SweepSummary) -> go.Figure:
    """Per parameter (columns): mean train/test accuracy (top), mean hidden spikes per test
    sample (middle: which way each parameter pushes the spikes) and mean seconds (bottom)."""
    fig = make_subplots(rows=3, cols=len(PARAMS), shared_xaxes=False,
                        subplot_titles=[LABELS[p] for p in PARAMS], vertical_spacing=0.09)
    for col, name in enumerate(PARAMS, start=1):
        rows = [v for v in summary.per_value if v.param == name]
        x = [f"{v.value:g}" for v in rows]
        for key, color in (("mean_train_accuracy", "#9ab"), ("mean_test_accuracy", "#d62")):
            fig.add_scatter(x=x, y=[getattr(v, key) for v in rows], mode="lines+markers",
                            line_color=color, name=key.split("_")[1], legendgroup=key,
                            showlegend=col == 1, row=1, col=col)
        fig.add_scatter(x=x, y=[v.mean_spikes_per_sample for v in rows], mode="lines+markers",
                        line_color="#36c", name="hidden spikes", legendgroup="k",
                        showlegend=col == 1, row=2, col=col)
        fig.add_bar(x=x, y=[v.mean_seconds for v in rows], name="seconds", marker_color="#888",
                    legendgroup="s", showlegend=col == 1, row=3, col=col)
    fig.update_xaxes(type="category")  # grid values, evenly spaced
    fig.update_yaxes(title_text="mean accuracy", row=1, col=1)
    fig.update_yaxes(title_text="spikes / sample", row=2, col=1)
    fig.update_yaxes(title_text="mean seconds", row=3, col=1)
    return sized(fig, 640)
