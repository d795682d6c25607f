"""Render a figure's slide export in Chromium and list the text it clips (issue 25, item 2).

``export_svg`` asks Plotly.js (plotly.py's own bundle, loaded from disk: nothing is fetched)
for the SVG the chart's camera button saves, at the slide size, with the figure wrapped in
what Streamlit's theme adds to it (``THEME``), in a page that has Streamlit's web font (Source
Sans, from the streamlit package) as the app's page has. ``clipped`` loads an SVG into another
page, without that font, as a PNG export (an SVG drawn as an image sees no web font) or a slide
program shows it, and names every text whose box leaves the canvas, or a legend entry that
leaves the legend's box: Plotly sized margins and legends by the web font, the slide then drew
a wider fallback font, and "0.15" lost its "0".
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit
from plotly.offline import get_plotlyjs

# What Streamlit 1.67's theme (its PlotlyChart's template) puts under a figure's layout: no
# left or right margin, 12 px ticks, axis automargin, a title at the left. The figure's own
# layout wins over it, as in the app.
THEME: dict[str, Any] = {
    "margin": {"l": 0, "r": 0, "pad": 8},
    "font": {"size": 12, "family": '"Source Sans", sans-serif'},
    "title": {"x": 0, "xanchor": "left", "font": {"size": 16}},
    "legend": {"valign": "top", "font": {"size": 12}, "title": {"side": "top"}},
    "xaxis": {"automargin": True, "tickfont": {"size": 12},
              "title": {"font": {"size": 14}, "standoff": 16}},
    "yaxis": {"automargin": True, "tickfont": {"size": 12}, "ticklabelposition": "outside",
              "title": {"font": {"size": 14}, "standoff": 24}},
}

EXPORT = """async ([fig, width, height]) => {
  const url = await Plotly.toImage(fig, {format: 'svg', width: width, height: height});
  const body = url.slice(url.indexOf(',') + 1);
  return url.includes(';base64,') ? atob(body) : decodeURIComponent(body);
}"""

# Texts (ticks, titles, legend entries, annotations) whose box leaves the canvas by more
# than a pixel, and legend entries outside the legend's own box (Plotly clips those).
CLIPPED = """(svgText) => {
  const holder = document.createElement('div');
  holder.style.cssText = 'position:absolute;left:0;top:0';
  holder.innerHTML = svgText;
  document.body.appendChild(holder);
  const root = holder.querySelector('svg');
  const canvas = root.getBoundingClientRect();
  const out = [];
  const outside = (r, box) => r.left < box.left - 1 || r.right > box.right + 1
                              || r.top < box.top - 1 || r.bottom > box.bottom + 1;
  for (const t of root.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    if (!t.textContent.trim() || r.width === 0) continue;
    if (outside(r, canvas)) out.push(`"${t.textContent}" leaves the slide`);
  }
  for (const legend of root.querySelectorAll('g.legend')) {
    const bg = legend.querySelector('rect.bg');
    if (!bg) continue;
    const box = bg.getBoundingClientRect();
    for (const t of legend.querySelectorAll('text.legendtext')) {
      const r = t.getBoundingClientRect();
      if (t.textContent.trim() && r.width > 0 && outside(r, box))
        out.push(`legend entry "${t.textContent}" is cut`);
    }
  }
  holder.remove();
  return out;
}"""


def themed(fig: go.Figure) -> dict[str, Any]:
    """``fig`` as the browser gets it from the app: Streamlit's theme under its layout."""
    spec = json.loads(fig.to_json())
    template = spec["layout"].setdefault("template", {})
    template["layout"] = {**template.get("layout", {}), **THEME}
    return spec


def _source_sans() -> str:
    """An @font-face rule for Streamlit's own Source Sans (its woff2, inlined)."""
    media = Path(streamlit.__file__).parent / "static" / "static" / "media"
    font = next(media.glob("SourceSansVF-Upright*.woff2"))
    data = base64.b64encode(font.read_bytes()).decode()
    return (f'@font-face {{ font-family: "Source Sans"; font-weight: 200 900; '
            f'src: url(data:font/woff2;base64,{data}) format("woff2"); }}')


def load_plotly(page: Any, web_font: bool = True) -> None:
    """plotly.py's bundled Plotly.js into ``page`` (from disk), with Streamlit's web font as the
    app's page has it (``web_font``) or without, as a viewer of the exported file."""
    style = f"<style>{_source_sans()}</style>" if web_font else ""
    page.set_content(f"<html><head>{style}</head><body style='margin:0'>"
                     "<span style='font-family:\"Source Sans\"'>0.15</span></body></html>")
    page.evaluate("() => document.fonts.ready.then(() => document.fonts.size)")
    page.add_script_tag(content=get_plotlyjs())


def export_svg(page: Any, fig: go.Figure, width: int, height: int) -> str:
    """The SVG of ``fig`` that the camera button saves at ``width`` x ``height``."""
    return page.evaluate(EXPORT, [themed(fig), width, height])


def clipped(page: Any, svg: str) -> list[str]:
    """What ``svg`` clips: texts off the canvas, legend entries off the legend."""
    return page.evaluate(CLIPPED, svg)
