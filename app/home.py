"""Home: what SpikeLab is, the demo gallery, and one line per page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.page import run_page
from app.registry import PAGES
from app.url_state import publish, show_notes
from core.demos import DEMOS, Demo, expectations, promise

COLUMNS = 3
TITLES = {p.url_path: p.title for p in PAGES}


@st.cache_data(show_spinner="Computing what the demos show ...")
def cached_expectations() -> dict[str, dict[str, Any]]:
    """The numbers each demo's page shows, computed once for every session."""
    return expectations()


def card(demo: Demo, expect: dict[str, Any] | None) -> None:
    """One demo: title, page, what to look at, the numbers it shows or what to press, link."""
    with st.container(border=True, key=f"demo_{demo.id}"):
        st.markdown(f"**{demo.title}**")
        st.caption(TITLES.get(demo.page, demo.page))
        st.markdown(demo.look)
        shown = promise(demo.id, expect)
        if shown:
            st.markdown(f":material/visibility: {shown}")
        if demo.needs:
            st.markdown(f":material/play_circle: Needs a run: {demo.needs}")
        if demo.citation:
            st.caption(f"Source: {demo.citation}")
        st.markdown(f"[:material/open_in_new: Open the demo]({demo.url})")


def gallery() -> None:
    """Draw the demo gallery: one card per demo, in columns."""
    st.header("Demo gallery")
    st.caption("Each link opens a page in a ready-made state (the settings are in the link: "
               "copy it into a slide). Demos marked *needs a run* open with the button to "
               "press; nothing long starts by itself. `python -m core demos --json` lists "
               "them for scripts.")
    expected = cached_expectations()
    columns = st.columns(COLUMNS)
    for i, demo in enumerate(DEMOS):
        with columns[i % COLUMNS]:
            card(demo, expected.get(demo.id))


def main() -> None:
    """Draw the Home page: what SpikeLab is, the demo gallery and a line per page."""
    st.title("SpikeLab")
    show_notes()  # what the link asked for that the app could not use
    st.markdown(
        "An interactive lab for **spiking neural networks**: tune neurons and watch their "
        "membrane potential, current and spikes; encode real data as spikes; train networks "
        "with surrogate gradients or spike-time backprop; search architectures; and ask what a "
        "frame would cost on a neuromorphic chip. Everything works offline on scikit-learn's "
        "digits; runs and studies are kept in a local SQLite file. Every number on these pages "
        "is computed by SpikeLab's engine (`core/`), which you can also script with "
        "`python -m core`."
    )
    gallery()
    st.header("Pages")
    for page in PAGES:
        st.page_link(page.path, label=page.title, icon=page.icon)
        st.caption(page.summary)
    st.caption("For a lecture: *Presentation mode* in the sidebar enlarges text, lines and "
               "markers; every chart's camera button saves a 1600×900 slide (PNG or SVG, as "
               "set below it).")


run_page(main, lambda: publish("home_", {}))
