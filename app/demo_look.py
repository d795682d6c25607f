"""The number a demo's page shows, for the demo's banner on that page (the gallery's card
quotes the same sentence): ``core.demos.promise`` of the engine's expectations."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.demos import PROMISES, expectations, promise


@st.cache_data(show_spinner="Computing what the demo shows ...")
def demo_numbers() -> dict[str, dict[str, Any]]:
    """What the computed demos' pages show (``core.demos.expectations``), once per server."""
    return expectations()


def look_for(demo_id: str) -> str | None:
    """The sentence with the numbers to look for on the demo's page; None for a demo that
    needs a run first (its numbers come from that run)."""
    if demo_id not in PROMISES:
        return None
    return promise(demo_id, demo_numbers().get(demo_id))
