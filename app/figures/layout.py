"""The layout every page figure shares: its height and margins, set in one place."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

SHORT, MEDIUM, TALL = 260, 320, 360  # px: small multiples, a page-wide figure, a raster


def sized(fig: go.Figure, height: int, top: int | None = 40, bottom: int | None = 10,
          **layout: Any) -> go.Figure:
    """``fig`` with ``height`` and top/bottom margins (None keeps Plotly's); other layout
    keys (title, axis titles, ...) pass through."""
    margin = {k: v for k, v in (("t", top), ("b", bottom)) if v is not None}
    return fig.update_layout(height=height, margin=margin, **layout)
