"""Figures of the Training (and Grid search) pages: learning curves, traces, layers, confusion."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.layout import MEDIUM, SHORT, TALL, sized
from core.training.inspect import HistoryCurve, Traces, history_curves


def history_figure(histories: dict[str, Sequence[dict]]) -> go.Figure:
    """Learning curves of named run histories (stored, or a live run's finished epochs)."""
    return curves_figure(history_curves(histories))


def curves_figure(curves: Sequence[HistoryCurve]) -> go.Figure:
    """Loss (left) and train/test accuracy (right) per epoch of each run."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"))
    for c in curves:
        fig.add_scatter(x=c.epochs, y=c.loss, name=f"{c.name} loss", row=1, col=1)
        for values, dash, word in ((c.train_accuracy, "dot", "train"),
                                   (c.test_accuracy, "solid", "test")):
            fig.add_scatter(x=c.epochs, y=values, line_dash=dash, name=f"{c.name} {word}",
                            row=1, col=2)
    fig.update_xaxes(title="epoch")
    return sized(fig, MEDIUM, top=30)


def traces_figure(traces: Traces, title: str) -> go.Figure:
    """One line per named signal against time (ms)."""
    fig = go.Figure()
    for i, name in enumerate(traces.names):
        fig.add_scatter(x=traces.time, y=traces.values[:, i], name=name, mode="lines")
    return sized(fig, SHORT, title=title, xaxis_title="time (ms)")


def layers_figure(spikes: dict[str, float]) -> go.Figure:
    """Mean spikes per sample of each spiking layer, named as given (a category axis)."""
    fig = go.Figure(go.Bar(x=list(spikes), y=list(spikes.values())))
    return sized(fig, SHORT, title="Spikes per layer (this sample)", xaxis_type="category")


def confusion_figure(counts: np.ndarray, classes: Sequence[str]) -> go.Figure:
    """Counts [true, predicted] as a heat map, true classes top to bottom."""
    fig = go.Figure(go.Heatmap(z=counts, x=list(classes), y=list(classes), colorscale="Blues"))
    return sized(fig, TALL, title="Confusion matrix (test set)", xaxis_title="predicted",
                 yaxis_title="true", yaxis_autorange="reversed")
