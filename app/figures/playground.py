"""Figures and images for the SNN Playground page (its spike marks: ``app.figures.raster``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.raster import spike_marks
from core.playground.session import Maps

POS, NEG = "#d9480f", "#1971c2"


def layer_names(sizes: list[int]) -> list[str]:
    """The layers' names as the charts label them: ``in``, ``L1``, ... ``out``."""
    return ["in", *(f"L{i + 1}" for i in range(len(sizes) - 2)), "out"]


def _node_y(n: int) -> np.ndarray:
    return np.arange(n) - (n - 1) / 2


def network_figure(
    sizes: list[int],
    weights: list[np.ndarray],
    rates: list[np.ndarray],
    selected: tuple[int, int] | None,
) -> go.Figure:
    """Nodes per layer (hidden ones shaded by mean rate) and edges by weight sign and size."""
    names = layer_names(sizes)
    fig = go.Figure()
    _add_edges(fig, weights)
    _add_edge_handles(fig, weights, names)
    _add_nodes(fig, sizes, rates, names, selected)
    fig.update_xaxes(
        tickvals=list(range(len(sizes))), ticktext=names, showgrid=False, zeroline=False
    )
    fig.update_yaxes(visible=False)
    fig.update_layout(
        height=380,
        margin={"t": 10, "b": 10, "l": 10, "r": 10},
        clickmode="event+select",
        dragmode=False,
        uirevision="network",
    )
    return fig


def _add_edges(fig: go.Figure, weights: list[np.ndarray]) -> None:
    """Connections as lines, one trace per sign and quarter of |w| (colour and width)."""
    scale = max(float(max(np.abs(w).max() for w in weights)), 1e-9)
    for sign, color in ((1, POS), (-1, NEG)):
        for lo, hi in ((0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)):
            xs: list[float | None] = []
            ys: list[float | None] = []
            for layer, w in enumerate(weights):
                ya, yb = _node_y(w.shape[0]), _node_y(w.shape[1])
                rel = sign * w / scale
                for i, j in zip(*np.nonzero((rel >= lo) & (rel < hi) & (rel > 0)), strict=True):
                    xs += [layer, layer + 1, None]
                    ys += [ya[i], yb[j], None]
            if xs:
                fig.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                line={"color": color, "width": 0.5 + 4 * hi},
                                opacity=0.35 + 0.5 * hi)


def _add_edge_handles(fig: go.Figure, weights: list[np.ndarray], names: list[str]) -> None:
    """A clickable point at the middle of every connection, naming it and its weight."""
    mids: list[tuple[float, float, list, str]] = []
    for layer, w in enumerate(weights):
        ya, yb = _node_y(w.shape[0]), _node_y(w.shape[1])
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                label = f"{names[layer]} {i} → {names[layer + 1]} {j}: w = {w[i, j]:.3f}"
                mids.append((layer + 0.5, (ya[i] + yb[j]) / 2, ["edge", layer, i, j], label))
    fig.add_scatter(
        x=[m[0] for m in mids], y=[m[1] for m in mids], mode="markers", showlegend=False,
        customdata=[m[2] for m in mids], hovertext=[m[3] for m in mids], hoverinfo="text",
        marker={"size": 7, "color": "#adb5bd", "opacity": 0.25},
    )


def _add_nodes(fig: go.Figure, sizes: list[int], rates: list[np.ndarray], names: list[str],
               selected: tuple[int, int] | None) -> None:
    """Neurons as circles; hidden ones coloured by mean firing rate, the selected one outlined."""
    xs, ys, colors, data, text = [], [], [], [], []
    for layer, n in enumerate(sizes):
        for k, y in enumerate(_node_y(n)):
            rate = float(rates[layer - 1][k].mean()) if 0 < layer < len(sizes) - 1 else None
            xs.append(layer)
            ys.append(y)
            colors.append(rate if rate is not None else 0.0)
            data.append(["neuron", layer, k])
            text.append(f"{names[layer]} {k}" + (f": {rate:.2f} spikes/step" if rate else ""))
    sel = [(layer, k) == selected for _, layer, k in data]
    fig.add_scatter(
        x=xs, y=ys, mode="markers", customdata=data, hovertext=text, hoverinfo="text",
        showlegend=False,
        marker={
            "size": 22, "color": colors, "colorscale": "Oranges", "cmin": 0, "cmax": 0.5,
            "line": {"width": [4 if s else 1 for s in sel],
                     "color": ["#000" if s else "#495057" for s in sel]},
        },
    )


def decision_figure(
    maps: Maps,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    probe: tuple[float, float],
) -> go.Figure:
    """P(class 1) over the plane with the train (circles) and test (crosses) points."""
    fig = go.Figure(
        go.Heatmap(
            x=maps.axis,
            y=maps.axis,
            z=maps.probability,
            zmin=0,
            zmax=1,
            colorscale=[[0, NEG], [0.5, "#ffffff"], [1, POS]],
            opacity=0.75,
            showscale=False,
            hoverinfo="skip",
        )
    )
    for data, labels, symbol, name in ((x, y, "circle", "train"), (x_test, y_test, "x", "test")):
        fig.add_trace(
            go.Scatter(
                x=data[:, 0],
                y=data[:, 1],
                mode="markers",
                name=name,
                showlegend=False,  # the legend keys below say shape and colour apart
                marker={
                    "symbol": symbol,
                    "size": 6,
                    "color": np.where(labels == 1, POS, NEG),
                    "line": {"width": 0.5, "color": "#212529"},
                },
            )
        )
    _legend_keys(fig)
    fig.add_trace(
        go.Scatter(
            x=[probe[0]],
            y=[probe[1]],
            mode="markers",
            name="probe",
            marker={
                "symbol": "star",
                "size": 14,
                "color": "#ffd43b",
                "line": {"width": 1, "color": "#000"},
            },
        )
    )
    fig.update_layout(
        height=380,
        margin={"t": 10, "b": 10, "l": 10, "r": 10},
        # the axes shrink to a square around the plane rather than widening past it
        xaxis={"range": [-1.2, 1.2], "constrain": "domain"},
        yaxis={"range": [-1.2, 1.2], "scaleanchor": "x", "constrain": "domain"},
        legend={"orientation": "h"},
        uirevision="decision",
    )
    return fig


KEY = "#868e96"  # the grey of the legend's shape keys (train / test), no class's colour


def _legend_keys(fig: go.Figure) -> None:
    """Legend entries apart from the data: colour = class, shape = train or test."""
    keys = (("class 0", "square", NEG), ("class 1", "square", POS),
            ("train", "circle", KEY), ("test", "x", KEY))
    for name, symbol, color in keys:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name,
                                 hoverinfo="skip",
                                 marker={"symbol": symbol, "size": 9, "color": color}))


def rate_tile(rate: np.ndarray) -> np.ndarray:
    """A neuron's rate map as an RGB image (white = silent, orange = 1 spike per step)."""
    level = np.clip(rate[::-1], 0.0, 1.0)[..., None]  # image rows run top to bottom
    white, orange = np.array([255, 255, 255]), np.array([217, 72, 15])
    img = (white + (orange - white) * level).astype(np.uint8)
    return np.kron(img, np.ones((2, 2, 1), dtype=np.uint8))


SHEET_GAP = 6  # px of white between two neurons' maps


def rate_sheet(rates: np.ndarray, per_row: int = 16) -> np.ndarray:
    """Every neuron's rate map of one layer [n, G, G] as one RGB image: ``per_row`` tiles a
    row, neuron 0 at the top left, a grey frame around each (no wrapping, no overlap)."""
    tiles = [rate_tile(r) for r in rates]
    h, w = tiles[0].shape[:2]
    framed = [np.pad(t, ((1, 1), (1, 1), (0, 0)), constant_values=173) for t in tiles]
    cols = min(per_row, len(framed))
    rows = -(-len(framed) // cols)
    step_y, step_x = h + 2 + SHEET_GAP, w + 2 + SHEET_GAP
    sheet = np.full((rows * step_y - SHEET_GAP, cols * step_x - SHEET_GAP, 3), 255, np.uint8)
    for k, tile in enumerate(framed):
        r, c = divmod(k, cols)
        sheet[r * step_y:r * step_y + h + 2, c * step_x:c * step_x + w + 2] = tile
    return sheet


def probe_figure(mem: np.ndarray, spikes: np.ndarray, threshold: float) -> go.Figure:
    """One neuron's membrane with its threshold and spikes over the probe's steps."""
    t = np.arange(mem.shape[0])
    fig = go.Figure(go.Scatter(x=t, y=mem, name="membrane", line={"color": POS}))
    fig.add_hline(y=threshold, line_dash="dash", line_color="#868e96")
    fig.add_trace(spike_marks(t, spikes, threshold * 1.15, "spikes", "#000"))
    fig.update_layout(
        height=260, xaxis_title="time step", yaxis_title="U", margin={"t": 10, "b": 30}
    )
    return fig
