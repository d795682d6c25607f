"""Charts and downloads ready for slides, and the presentation mode that enlarges them.

Every page draws its Plotly figures through ``chart``: the camera button of the chart's toolbar
saves it as PNG or SVG (the sidebar's *Chart download* setting, ``fmt`` in the URL) at a
16:9 slide size, rendered in the browser by Plotly.js itself, so it works offline and needs no
server-side image library. ``slide_ready`` gives every figure room for its whole tick labels,
axis titles and legend at that size (Streamlit's theme sets no left or right margin; every
axis gets Plotly's automargin). In presentation mode (``present=1``) fonts (ticks, axis and
subplot titles, legends, colour bars), lines and markers are enlarged for a projector. Tables
and traces download as CSV through ``csv_button``; a record
(a saved run) as JSON through ``json_button``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.url_state import GLOBAL_PREFIX

SLIDE_WIDTH, SLIDE_HEIGHT = 1600, 900  # px: 16:9; PNG saved at twice this (3200 x 1800)
PRESENT_FONT = 20  # px, against Plotly's 12
PRESENT_SCALE = 2.0  # lines and markers
SLIDE_MARGIN = {"l": 64, "r": 24}  # px: the least room beside the axes (automargin adds more)
TITLE_FONT = 16  # px: a title's size under Streamlit's theme when the figure sets none
# System fonts, not Streamlit's web font: Plotly sizes margins and legends by the font the page
# measures, and an export drawn as an image (PNG) or opened in a slide program has no web font,
# so its wider fallback overflowed them ("0.15" lost its "0", "spikes (B)" its end).
SLIDE_FONTS = "Arial, 'Liberation Sans', Helvetica, 'DejaVu Sans', sans-serif"
PRESENT_CSS = """<style>
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p { font-size: 1.35rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] *,
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 3rem !important; line-height: 1.2; }
[data-testid="stMetricLabel"] p { font-size: 1.35rem !important; }
[data-testid="stSliderThumbValue"] { font-size: 1.1rem; top: -1.9rem !important; }
[data-testid="stSlider"] { padding-top: 0.8rem; }
[data-testid="stSliderTickBarMin"], [data-testid="stSliderTickBarMax"] { font-size: 1.1rem; }
[data-baseweb="select"] > div, [data-testid="stNumberInput"] input,
[data-testid="stTextInput"] input, [data-testid="stBaseButton-secondary"] p { font-size: 1.2rem; }
h1 { font-size: 3.4rem !important; }
</style>"""


def presenting() -> bool:
    """Whether presentation mode is on (the sidebar toggle, or ``present=1`` in the URL)."""
    return bool(st.session_state.get(GLOBAL_PREFIX + "present", False))


def image_format() -> str:
    """What a chart's camera button saves, ``png`` or ``svg`` (the sidebar's setting)."""
    return str(st.session_state.get(GLOBAL_PREFIX + "fmt", "png"))


def slide_ready(fig: go.Figure) -> go.Figure:
    """``fig`` (changed in place) with whole labels and legends on a slide: system fonts
    (``SLIDE_FONTS``), automargin on every axis, at least ``SLIDE_MARGIN`` beside the plot
    (Streamlit's theme leaves none) and a top margin that holds the title (and subplot
    titles) at its size."""
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    fig.update_layout(font_family=SLIDE_FONTS)
    margin = fig.layout.margin
    least = {**SLIDE_MARGIN, "t": _title_room(fig)}
    fig.update_layout(margin={side: max(getattr(margin, side) or 0, room)
                              for side, room in least.items() if room} | {"autoexpand": True})
    return fig


def _title_room(fig: go.Figure) -> int:
    """Pixels above the plot for the title, which Plotly centres in the top margin, and for
    subplot titles, which stand on the plot's top edge (0: neither, Plotly's margin stays)."""
    room = 0
    if fig.layout.title.text:
        room += 2 * (fig.layout.title.font.size or TITLE_FONT) + 8
    tops = [a for a in fig.layout.annotations or () if a.yref == "paper" and a.y == 1]
    if tops:
        room += (tops[0].font.size or TITLE_FONT) + 12
    return room


def _enlarge_axes(fig: go.Figure) -> None:
    """Tick labels and axis titles at projector size (Streamlit's theme pins them at 12 px)."""
    axis_font = {"tickfont_size": PRESENT_FONT, "title_font_size": PRESENT_FONT}
    fig.update_xaxes(**axis_font)
    fig.update_yaxes(**axis_font)
    fig.update_coloraxes(colorbar_tickfont_size=PRESENT_FONT)
    for trace in fig.data:
        colorbar = getattr(trace, "colorbar", None)
        if colorbar is not None and trace.showscale is not False:
            trace.colorbar.tickfont.size = PRESENT_FONT


def enlarge(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` with projector-sized fonts, lines and markers (and a taller body)."""
    fig = go.Figure(fig)
    fig.update_layout(font_size=PRESENT_FONT, title_font_size=PRESENT_FONT + 4,
                      legend_font_size=PRESENT_FONT, hoverlabel_font_size=PRESENT_FONT)
    _enlarge_axes(fig)
    if fig.layout.height:
        fig.update_layout(height=int(fig.layout.height * 1.4))
    for trace in fig.data:
        line = getattr(trace, "line", None)
        if line is not None and trace.type in ("scatter", "scattergl"):
            trace.line.width = (line.width or 2) * PRESENT_SCALE
        marker = getattr(trace, "marker", None)
        if marker is not None and trace.type in ("scatter", "scattergl"):
            size = marker.size
            if isinstance(size, int | float):
                trace.marker.size = size * PRESENT_SCALE ** 0.5
            elif size is None:
                trace.marker.size = 6 * PRESENT_SCALE ** 0.5
    for annotation in fig.layout.annotations or ():
        annotation.font.size = PRESENT_FONT
    return fig


def export_config(key: str) -> dict[str, Any]:
    """Plotly.js config: the camera button saves a slide-sized PNG or SVG named after ``key``."""
    fmt = image_format()
    return {
        "displaylogo": False,
        "toImageButtonOptions": {
            "format": fmt, "filename": f"spikelab_{key}", "width": SLIDE_WIDTH,
            "height": SLIDE_HEIGHT, "scale": 2 if fmt == "png" else 1,
        },
    }


def chart(fig: go.Figure, key: str, where: Any = None, **kwargs: Any) -> Any:
    """Draw ``fig`` in ``where`` (default: the page) ready for slides; returns its state."""
    target = st if where is None else where
    shown = slide_ready(enlarge(fig) if presenting() else go.Figure(fig))
    return target.plotly_chart(shown, key=key, config=export_config(key), **kwargs)


def csv_button(frame: pd.DataFrame | Callable[[], pd.DataFrame], name: str, key: str,
               where: Any = None, label: str = "Download CSV") -> None:
    """A button that downloads ``frame`` as ``spikelab_<name>.csv``; a callable that makes the
    frame is called only when the button is pressed (no CSV built on every rerun)."""
    target = st if where is None else where
    data = (lambda: frame().to_csv(index=False)) if callable(frame) else frame.to_csv(index=False)
    target.download_button(label, data, f"spikelab_{name}.csv",
                           "text/csv", key=key, icon=":material/download:", on_click="ignore")


def json_button(record: dict[str, Any], name: str, key: str, where: Any = None,
                label: str = "Download JSON record") -> None:
    """A button that downloads ``record`` as ``spikelab_<name>.json``."""
    target = st if where is None else where
    text = json.dumps(record, indent=1, default=str)
    target.download_button(label, text, f"spikelab_{name}.json", "application/json", key=key,
                           icon=":material/download:", on_click="ignore")


def presentation_style() -> None:
    """Enlarge the page's text for a projector when presentation mode is on."""
    if presenting():
        st.markdown(PRESENT_CSS, unsafe_allow_html=True)
