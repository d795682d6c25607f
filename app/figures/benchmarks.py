"""Figures of the Benchmarks page, drawn from ``core.bench.results``."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from app.figures.layout import TALL, sized
from core.bench.results import Curve


def _time_text(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def step_time_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """Seconds per training step of every implementation (and the dense-GEMM floor), grouped
    by batch size, on a log axis; each bar is labelled with its ratio to SpikeLab fast."""
    fig = go.Figure()
    batches = sorted({r["batch"] for r in rows}, reverse=True)
    for batch in batches:
        mine = [r for r in rows if r["batch"] == batch]
        fig.add_bar(
            x=[r["implementation"].split(" (")[0] for r in mine],
            y=[r["median_s"] for r in mine],
            name=f"batch {batch}",
            text=[f"{r['ratio']:.2f}×" for r in mine], textposition="outside",
            customdata=[[r["implementation"], _time_text(r["median_s"])] for r in mine],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]} per step<br>"
                          "%{text} SpikeLab fast<extra>batch " + str(batch) + "</extra>",
        )
    return sized(fig, TALL, top=30, bottom=None, barmode="group",
                 yaxis={"type": "log", "title": "seconds per training step (log)"},
                 legend_title_text="ratio to SpikeLab fast on each bar")


def scaling_figure(curves: list[Curve]) -> go.Figure:
    """Step time against each swept quantity as a multiple of its base value, log-log; the
    legend gives each sweep's fitted exponent k (time ~ value^k)."""
    fig = go.Figure()
    for curve in curves:
        base = curve.base or curve.values[0]
        fig.add_scatter(
            x=[v / base for v in curve.values], y=curve.seconds, mode="lines+markers",
            name=curve.legend,
            customdata=[[f"{v:g}", _time_text(s)] for v, s in
                        zip(curve.values, curve.seconds, strict=True)],
            hovertemplate=f"{curve.label} = " + "%{customdata[0]}<br>%{customdata[1]} per step"
                          "<extra></extra>",
        )
    return sized(fig, TALL, top=30, bottom=None,
                 xaxis={"type": "log", "title": "value / base workload's value (log)"},
                 yaxis={"type": "log", "title": "seconds per training step (log)"},
                 legend_title_text="time ~ value^k")
