"""The Training page's run inspector for imported networks (runs of kind ``nir``): one test
sample through the network, its rasters per layer and the membranes of chosen neurons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from app.charts import chart
from app.figures.raster import raster_figure
from app.figures.training import traces_figure
from app.text import plain
from app.url_state import shown
from core.data.registry import DATASET_INFO
from core.interop.nir_run import SIM_DATASETS, matching_datasets
from core.raster import spike_raster
from core.store import RunStore
from core.training.inspect import Traces

P = "tr_"
SHOWN = 6  # neurons whose membranes are drawn by default: the most active of the layer


def plain_name(name: object) -> str:
    """A layer name from a file, for a Plotly title (clipped short, tags as text)."""
    return plain(name, 60)


@st.cache_data(max_entries=16, show_spinner="Running the sample through the network ...")
def cached_trace(db: str, run_id: int, dataset: str, index: int, data_path: str | None,
                 download: bool) -> dict[str, Any]:
    """One test sample's trace through a saved run's network, computed once per sample."""
    from core.interop.nir_run import trace_sample

    return trace_sample(RunStore(db).get_run(run_id), dataset, index, data_path,
                        download=download)


def nir_runs(db: str) -> None:
    """A picker of the imported networks, which open in the inspector."""
    runs = RunStore(db).list_runs(kind="nir", limit=200)
    if not runs:
        return
    st.caption("Imported networks (NIR files; import them on the Hardware page or with "
               "`python -m core import-nir`):")
    labels = {r.id: f"#{r.id} · {r.name} · "
                    f"{'-'.join(map(str, r.config.get('layer_sizes', [])))}" for r in runs}
    c1, c2 = st.columns([1, 2])
    pick = c1.selectbox("Open imported network", list(labels), format_func=labels.get,
                        key=P + "open_nir")
    if c1.button("Open", key=P + "open_nir_btn"):
        st.session_state[P + "run"] = pick
        st.rerun()


def pick_dataset(run: Any, sidebar_path_shown: bool) -> tuple[str, str | None] | None:
    """The data set to draw a sample from (one whose input fits) and its local path."""
    s = st.session_state
    options = matching_datasets(list(run.config["layer_sizes"]))
    if not options:
        st.warning(f"No data set gives {run.config['layer_sizes'][0]} inputs per step "
                   f"({', '.join(SIM_DATASETS)} do not), so there is no sample to show.")
        return None
    simulated = run.metrics.get("dataset")
    if s.get(P + "nir_dataset") not in options:
        s[P + "nir_dataset"] = simulated if simulated in options else options[0]
    c1, c2 = st.columns(2)
    dataset = c1.selectbox("Data set", options, key=P + "nir_dataset",
                           format_func=lambda n: DATASET_INFO[n].title)
    if not DATASET_INFO[dataset].offline and not sidebar_path_shown:
        c2.text_input("Data path (optional)", key=P + "data_path",
                      help="A local copy of the data set's file(s). Empty: the cache.")
    return dataset, s[P + "data_path"].strip() or None


def inspect_nir(db: str, run: Any, sidebar_path_shown: bool) -> None:
    """An imported run: its summary, then one test sample's rasters and membranes."""
    s = st.session_state
    cfg = run.config
    st.caption(f"Imported from {shown(run.name or 'a NIR file', 80)} "
               f"({shown(cfg.get('source', 'unknown'), 80)}): "
               f"layers {' → '.join(map(str, cfg['layer_sizes']))}, forward Euler at dt = "
               f"{cfg['dt_s']:g} s, order {shown(cfg['order'], 20)}. Price it on the Hardware "
               "page.")
    if run.metrics.get("dataset"):
        acc = run.metrics.get("accuracy")
        st.caption(f"Simulated on {run.metrics['samples']} {shown(run.metrics['dataset'], 40)} "
                   "samples"
                   + ("" if acc is None else f": accuracy {acc:.3f}") + ".")
    chosen = pick_dataset(run, sidebar_path_shown)
    if chosen is None:
        return
    dataset, path = chosen
    sample = st.number_input("Test sample", 0, 10**6, key=P + "sample")
    try:
        trace = cached_trace(db, run.id, dataset, int(sample), path, bool(s[P + "download"]))
    except (ValueError, OSError) as exc:
        st.error(f"The sample cannot be run: {shown(exc, 600)}")
        return
    predicted = trace["predicted"]
    st.caption(f"Label **{shown(trace['class_name'], 40)}**, predicted **"
               f"{'—' if predicted is None else predicted}** (the readout's class index).")
    draw_layers(trace, cfg["neurons"])


def draw_layers(trace: dict[str, Any], neurons: list[dict[str, Any]]) -> None:
    """A raster per spiking layer, then the membranes of chosen neurons of one layer."""
    dt_ms = float(trace["dt_s"]) * 1e3
    layers = trace["layers"]
    spiking = [x for x in layers if x["spikes"] is not None]
    cols = st.columns(2)
    for i, layer in enumerate(spiking):
        title = f"{plain_name(layer['name'])}: {int(layer['spikes'].sum())} spikes"
        chart(raster_figure(spike_raster(layer["spikes"], dt_ms), title), f"{P}nir_raster_{i}",
              cols[i % 2])
    names = [x["name"] for x in layers[1:]]
    by_name = {x["name"]: x for x in layers}
    c1, c2 = st.columns([1, 2])
    name = c1.selectbox("Membranes of layer", names, key=P + "nir_layer")
    layer = by_name[name]
    n = layer["mem"].shape[1]
    activity = (layer["spikes"] if layer["spikes"] is not None else np.abs(layer["mem"]))
    default = sorted(np.argsort(-activity.sum(0), kind="stable")[:SHOWN].tolist())
    picked = c2.multiselect("Neurons", list(range(n)), default, key=f"{P}nir_neurons_{name}")
    if picked:
        mem = layer["mem"]
        time = np.arange(mem.shape[0]) * dt_ms
        threshold = next((x.get("threshold") for x in neurons if x.get("layer") == name), None)
        title = f"{plain_name(name)} membrane" + ("" if not isinstance(threshold, int | float)
                                      else f" (threshold {threshold:g})")
        chart(traces_figure(Traces(time, mem[:, picked], [f"neuron {i}" for i in picked]),
                            title), P + "nir_mem")
    counts = pd.DataFrame({"layer": [x["name"] for x in spiking],
                           "spikes": [int(x["spikes"].sum()) for x in spiking]})
    st.dataframe(counts, hide_index=True, key=P + "nir_counts")
