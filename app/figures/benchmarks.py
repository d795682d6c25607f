"""Figures of the Benchmarks page, drawn from ``core.bench.results``."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from app.figures.layout import TALL, sized
from app.text import plain
from core.bench.curves import Curve


def _time_text(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _log_axis(values: list[float], title: str, text=_time_text) -> dict[str, Any]:
    """A log axis with ticks at 1, 2 and 5 of each decade the values span, written out in
    full (Plotly's own log ticks write 0.05 as "5")."""
    low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    ticks = [m * 10.0**e for e in range(low, high + 1) for m in (1, 2, 5)]
    ticks = [v for v in ticks if min(values) / 2.5 <= v <= max(values) * 2.5]
    return {"type": "log", "title": title, "tickvals": ticks, "ticktext": [text(v) for v in ticks]}


def step_time_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """Seconds per training step of every implementation (and the dense-GEMM floor), grouped
    by batch size, on a log axis; each bar is labelled with its ratio to SpikeLab fast."""
    fig = go.Figure()
    batches = sorted({r["batch"] for r in rows}, reverse=True)
    for batch in batches:
        mine = [r for r in rows if r["batch"] == batch]
        fig.add_bar(
            x=[plain(r["implementation"].split(" (")[0]) for r in mine],
            y=[r["median_s"] for r in mine],
            name=f"batch {batch}",
            text=[f"{r['ratio']:.2f}×" for r in mine], textposition="outside",
            customdata=[[plain(r["implementation"]), _time_text(r["median_s"])] for r in mine],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]} per step<br>"
                          "%{text} SpikeLab fast<extra>batch " + str(batch) + "</extra>",
        )
    return sized(fig, TALL, top=30, bottom=None, barmode="group",
                 yaxis=_log_axis([r["median_s"] for r in rows], "time per training step (log)"),
                 legend_title_text="ratio to SpikeLab fast on each bar")


def scaling_figure(curves: list[Curve]) -> go.Figure:
    """Step time against each swept quantity as a multiple of its base value, log-log; the
    legend gives each sweep's fitted exponent k (time ~ value^k)."""
    fig = go.Figure()
    factors: list[float] = []
    for curve in curves:
        base = curve.base or curve.values[0]
        factors += [v / base for v in curve.values]
        fig.add_scatter(
            x=[v / base for v in curve.values], y=curve.seconds, mode="lines+markers",
            name=plain(curve.legend),
            customdata=[[f"{v:g}", _time_text(s)] for v, s in
                        zip(curve.values, curve.seconds, strict=True)],
            hovertemplate=f"{plain(curve.label)} = "
                          "%{customdata[0]}<br>%{customdata[1]} per step<extra></extra>",
        )
    return sized(fig, TALL, top=30, bottom=None,
                 xaxis={"type": "log", "title": "value / the base workload's value (log)",
                        "tickvals": sorted(set(factors)),
                        "ticktext": [f"{f:g}×" for f in sorted(set(factors))]},
                 yaxis=_log_axis([s for c in curves for s in c.seconds],
                                 "time per training step (log)"),
                 legend_title_text="time ~ value^k")


def conv_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """Milliseconds per training step of every conv row (``core.bench.conv_verdicts.conv_rows``:
    each library tutorial-built and matched, SpikeLab, the floor), grouped by batch size, on a
    log axis; each bar is labelled with its ratio to SpikeLab's fast path."""
    fig = go.Figure()
    for batch in sorted({r["batch"] for r in rows}, reverse=True):
        mine = [r for r in rows if r["batch"] == batch]
        fig.add_bar(
            x=[plain(r["short"]) for r in mine],
            y=[r["step_ms"] / 1e3 for r in mine],
            name=f"batch {batch}",
            text=[f"{r['ratio']:.2f}×" for r in mine], textposition="outside",
            customdata=[[plain(r["implementation"]), plain(r["build"]),
                         _time_text(r["step_ms"] / 1e3)] for r in mine],
            hovertemplate="%{customdata[0]}, %{customdata[1]}<br>%{customdata[2]} per step<br>"
                          "%{text} SpikeLab<extra>batch " + str(batch) + "</extra>",
        )
    return sized(fig, TALL, top=30, bottom=None, barmode="group",
                 yaxis=_log_axis([r["step_ms"] / 1e3 for r in rows],
                                 "time per training step (log)"),
                 legend_title_text="ratio to SpikeLab on each bar")
