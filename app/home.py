"""Home: what SpikeLab is, and one line per page."""

from __future__ import annotations

import streamlit as st

from app.registry import PAGES

st.title("SpikeLab")
st.markdown(
    "An interactive lab for **spiking neural networks**: tune neurons and watch their "
    "membrane potential, current and spikes; encode real data as spikes; train networks with "
    "surrogate gradients or spike-time backprop; search architectures; and ask what a frame "
    "would cost on a neuromorphic chip. Everything works offline on scikit-learn's digits; "
    "runs and studies are kept in a local SQLite file. Every number on these pages is "
    "computed by SpikeLab's engine (`core/`), which you can also script with `python -m core`."
)
for page in PAGES:
    st.page_link(page.path, label=page.title, icon=page.icon)
    st.caption(page.summary)
