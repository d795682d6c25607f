"""Plotly figures for the Neuron dynamics page: core results in, figures out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.raster import spike_marks
from core.explorer import EulerComparison, ExplorerResult
from core.neurons.physical import MembraneODE
from core.neurons.relpsp import alpha_kernel, potential, relpsp_kernel
from core.neurons.simulation import SimulationResult

COLORS = {"a": "#d9480f", "b": "#1971c2", "input": "#495057", "thr": "#868e96"}
ZOOM_SPIKES = 25  # a busier neuron's traces open zoomed on its first this many spikes


#: Titles and legend names of traces drawn in their own panel; any other trace gets its name.
TRACE_NAMES = {"syn": ("Synaptic current I", "I")}


def _extra_traces(sims: dict[str, SimulationResult]) -> list[str]:
    """Traces drawn in their own panel: all but the membrane and a per-step threshold."""
    names = [n for sim in sims.values() for n in sim.traces if n not in ("mem", "threshold")]
    return list(dict.fromkeys(names))


def _threshold(fig: go.Figure, x: np.ndarray, sim: SimulationResult, side: str, row: int) -> None:
    """The threshold in the membrane panel: its trace if it moves (A[t]), else a line."""
    label = side.upper()
    if "threshold" in sim.traces:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=sim.traces["threshold"],
                name=f"θ[t] ({label})",
                line={"color": COLORS[side], "dash": "dash", "width": 1.5},
                opacity=0.8,
            ),
            row=row,
            col=1,
        )
        return
    fig.add_hline(
        y=sim.threshold,
        line_dash="dash",
        line_color=COLORS[side],
        opacity=0.6,
        row=row,
        col=1,
        annotation_text=f"θ {label}",  # A's at the left end, B's at the right: never on top
        annotation_position="top left" if side == "a" else "top right",
    )


def _add_neuron(fig: go.Figure, x: np.ndarray, sim: SimulationResult, side: str,
                extra: list[str], mem_row: int, spike_y: float) -> None:
    """One neuron's traces: its own (rows 2..), membrane and threshold, then its spikes."""
    label, color = side.upper(), COLORS[side]
    for row, name in enumerate(extra, start=2):
        if name in sim.traces:
            short = TRACE_NAMES.get(name, (name, name))[1]
            fig.add_trace(go.Scatter(x=x, y=sim.traces[name], name=f"{short} ({label})",
                                     line={"color": color}), row=row, col=1)
    fig.add_trace(go.Scatter(x=x, y=sim.mem, name=f"U ({label})", line={"color": color}),
                  row=mem_row, col=1)
    _threshold(fig, x, sim, side, mem_row)
    fig.add_trace(spike_marks(x, sim.spikes, spike_y, f"spikes ({label})", color, width=2),
                  row=mem_row + 1, col=1)


def zoom_steps(result: ExplorerResult) -> int | None:
    """The steps the traces open on when a neuron fires more than ``ZOOM_SPIKES`` times (a wall
    of zigzags otherwise): up to a few steps past the busiest one's ``ZOOM_SPIKES``-th spike;
    None shows every step."""
    sims = [s for s in (result.a, result.b) if s is not None]
    busiest = max(sims, key=lambda s: float(np.abs(s.spikes).sum()))
    times = np.flatnonzero(busiest.spikes)
    if times.size <= ZOOM_SPIKES:
        return None
    end = int(times[ZOOM_SPIKES - 1]) + 3
    return min(end, result.input.shape[0])


def traces_figure(result: ExplorerResult, dt: float, axis: str) -> go.Figure:
    """Input, each model's own traces (e.g. synaptic current), membrane with threshold, spikes;
    zoomed on the first ``zoom_steps`` steps when the spikes are dense (double-click: all)."""
    x = result.time_axis(dt) if axis == "ms" else np.arange(result.input.shape[0])
    sims: dict[str, SimulationResult] = {"a": result.a}
    if result.b is not None:
        sims["b"] = result.b
    extra = _extra_traces(sims)
    titles = ["Input", *(TRACE_NAMES.get(n, (n, n))[0] for n in extra), "Membrane U", "Spikes"]
    fig = make_subplots(
        rows=len(titles),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        subplot_titles=titles,
        row_heights=[1, *([1] * len(extra)), 2, 0.6],
    )
    fig.add_trace(
        go.Scatter(
            x=x, y=result.input, name="input", line={"color": COLORS["input"]}, line_shape="hv"
        ),
        row=1,
        col=1,
    )
    mem_row = 2 + len(extra)
    for i, (side, sim) in enumerate(sims.items()):
        _add_neuron(fig, x, sim, side, extra, mem_row, spike_y=float(len(sims) - i))
    fig.update_yaxes(showticklabels=False, row=mem_row + 1, col=1, range=[0.3, len(sims) + 0.7])
    fig.update_xaxes(
        title_text="time (ms)" if axis == "ms" else "time (steps)", row=len(titles), col=1
    )
    zoom = zoom_steps(result)
    if zoom is not None:
        fig.update_xaxes(range=[float(x[0]), float(x[zoom - 1])])
    fig.update_layout(
        height=620 + 150 * max(len(extra) - 1, 0),
        margin={"t": 40, "b": 40},
        legend={"orientation": "h"},
        uirevision="traces",
    )
    return fig


def fi_figure(result: ExplorerResult, dt: float) -> go.Figure:
    """Firing rate in Hz against input amplitude."""
    fig = go.Figure()
    per_s = 1000.0 / dt
    for side, rate in (("a", result.fi_rate_a), ("b", result.fi_rate_b)):
        if rate is not None:
            fig.add_trace(go.Scatter(x=result.fi_amplitudes, y=rate * per_s, name=side.upper(),
                                     line={"color": COLORS[side]}))
    fig.update_layout(xaxis_title="input amplitude", yaxis_title="firing rate (Hz)", height=420)
    return fig


def euler_figure(comparison: EulerComparison, ode: MembraneODE) -> go.Figure:
    """Traces of both methods, and the largest gap against dt (log scale)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["V(t)", "Largest gap vs Δt"])
    t = comparison.time_ms
    fig.add_trace(
        go.Scatter(
            x=t,
            y=comparison.exact.mem,
            name="exact",
            mode="lines+markers",
            line={"color": COLORS["a"]},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=comparison.euler.mem,
            name="forward Euler",
            mode="lines+markers",
            line={"color": COLORS["b"], "dash": "dot"},
        ),
        row=1,
        col=1,
    )
    fig.add_hline(y=ode.v_threshold, line_dash="dash", line_color=COLORS["thr"], row=1, col=1)
    positive = comparison.max_error_mv > 0
    fig.add_trace(
        go.Scatter(
            x=comparison.dts[positive],
            y=comparison.max_error_mv[positive],
            name="gap (mV)",
            line={"color": COLORS["input"]},
        ),
        row=1,
        col=2,
    )
    fig.add_vline(
        x=2 * ode.physical.tau_mem,
        line_dash="dash",
        line_color="red",
        row=1,
        col=2,
        annotation_text="Δt = 2τ",
    )
    fig.add_vline(x=ode.physical.dt, line_color=COLORS["b"], row=1, col=2, annotation_text="Δt")
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_xaxes(title_text="time (ms)", row=1, col=1)
    fig.update_xaxes(title_text="Δt (ms)", row=1, col=2)
    fig.update_yaxes(title_text="V (mV)", row=1, col=1)
    fig.update_layout(height=420)
    return fig


def relpsp_figure(
    times: list[float],
    weights: list[float],
    theta: float,
    tau: float,
    t_rel: float | None,
    t_alpha: float | None,
) -> go.Figure:
    """Kernels, and V(t) of a ReL-PSP and an alpha-PSP neuron with their spike times."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["Kernels", "V(t)"])
    k_grid = np.linspace(-0.5, 5 * tau, 300)
    fig.add_trace(
        go.Scatter(
            x=k_grid, y=relpsp_kernel(k_grid), name="ReL-PSP kernel", line={"color": COLORS["a"]}
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=k_grid,
            y=alpha_kernel(k_grid, tau),
            name="alpha-PSP kernel",
            line={"color": COLORS["b"]},
        ),
        row=1,
        col=1,
    )
    ends = [*times, *(t for t in (t_rel, t_alpha) if t is not None), 0.0]
    grid = np.linspace(0.0, max(ends) + 4 * tau, 800)
    for kernel, color, t_spike in (("relpsp", "a", t_rel), ("alpha", "b", t_alpha)):
        v = potential(grid, times, weights, kernel, tau) if times else np.zeros_like(grid)
        fig.add_trace(
            go.Scatter(x=grid, y=v, name=f"V {kernel}", line={"color": COLORS[color]}),
            row=1,
            col=2,
        )
        if t_spike is not None:
            fig.add_vline(x=t_spike, line_color=COLORS[color], line_dash="dot", row=1, col=2)
    fig.add_hline(
        y=theta, line_dash="dash", line_color=COLORS["thr"], row=1, col=2, annotation_text="θ"
    )
    fig.update_xaxes(title_text="t", row=1, col=1)
    fig.update_xaxes(title_text="t", row=1, col=2)
    fig.update_layout(height=400)
    return fig
