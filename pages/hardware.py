"""Hardware: what one frame of a network costs on each registered hardware model.

The models, their sidebar widgets and link fields, what each can map and what each reports come
from the hardware registry (``core.hardware.registry``): a new model needs no change here.
Saved runs whose stored JSON cannot be read are named and skipped; messages that may quote a
file or a stored record are escaped (``app.text.md``) before they reach Markdown."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app import hardware_nir as nir_parts
from app.charts import chart, csv_button
from app.figures.hardware import (
    breakdown_figure,
    layer_figure,
    mesh_figure,
    model_title,
)
from app.hardware_sweep import Params, estimate, sweep_panel
from app.page import run_page
from app.param_widgets import field_widgets
from app.text import md
from app.url_state import Field, add_note, publish, restore, show_notes
from core.hardware import Workload, fc_workload, parse_arch
from core.hardware.analysis import (
    calibrate,
    energy_breakdown,
    layer_bars,
    mesh_view,
)
from core.hardware.base import EnergyReport
from core.hardware.params import shown, url_name
from core.hardware.registry import MODELS, get_model, knob_fields, make_model, make_params
from core.hardware.workload import parse_spikes

P = "hw_"
RUN_KINDS = ("surrogate", "relpsp", "nas", "nir")
SOURCES = ("Type an architecture", "A saved run", "A NIR file")
KNOBS = knob_fields()  # every model's parameters, by field name
# The network, the run costed and every model's parameters (in their shown units), in the URL.
FIELDS = {
    "source": Field(SOURCES[0], choices=SOURCES), "arch": Field("784-800-10"),
    "spikes": Field("100,80,10"), "steps": Field(1, 1, 1000), "recurrent": Field(False),
    "run": Field(None, 1, None, kind=int), "run_spikes": Field(""),
    **{url_name(f): Field(shown(f, f.default), f.metadata["min"], f.metadata["max"])
       for f in KNOBS.values()},
    **nir_parts.FIELDS,
}
CHOSEN = P + "chosen_run"  # the saved or uploaded run being priced (for NeuroBench's panel)


def init_state() -> None:
    """Restore the page's settings from its link (draws nothing)."""
    restore(P, FIELDS, notice=False)
    st.session_state.setdefault(P + "download", False)
    st.session_state[CHOSEN] = None


@st.cache_data(ttl=10, show_spinner=False)
def list_runs(db: str) -> tuple[list[tuple[int, str, str]], tuple[int, ...]]:
    """(id, label, kind) of the saved training runs, newest first, and the ids of the runs
    skipped because their stored JSON cannot be read (draws nothing)."""
    from core.hardware.runs import describe_run
    from core.store import RunStore

    runs = RunStore(db).list_runs()
    return [(r.id, describe_run(r), r.kind) for r in runs if r.kind in RUN_KINDS], runs.skipped


@st.cache_data(max_entries=32, show_spinner=False)
def run_workload(db: str, run_id: int, spikes: tuple[float, ...] | None) -> Workload:
    """A saved run's workload, cached (draws nothing)."""
    from core.hardware.runs import workload_from_run
    from core.store import RunStore

    return workload_from_run(RunStore(db).get_run(run_id), spikes)


def sidebar() -> Params:
    """Draw every model's parameters in the sidebar, grouped as the registry groups them, and
    return each model's params built from them (ValueError for an impossible value)."""
    values = field_widgets(KNOBS.values(), P, where=st.sidebar)
    return {model.name: make_params(model.name, **values) for model in MODELS}


def pick_workload() -> Workload | None:
    """Draw the network picker (typed sizes, a saved run or a NIR file); return its workload,
    or None with a message saying why it is unusable."""
    st.radio("Network", SOURCES, key=P + "source", horizontal=True)
    if st.session_state[P + "source"] == "A saved run":
        return pick_run()
    if st.session_state[P + "source"] == "A NIR file":
        run_id = nir_parts.upload_run(list_runs.clear)
        try:
            return None if run_id is None else nir_workload(run_id, None)
        except ValueError as exc:
            st.error(md(exc, 600))
            return None
    a, b, c = st.columns([2, 2, 1])
    a.text_input("Layer sizes, input first", key=P + "arch")
    b.text_input("Spikes per layer in one frame", key=P + "spikes")
    c.number_input("Time steps", 1, 1000, key=P + "steps")
    st.checkbox("Recurrent hidden layers", key=P + "recurrent",
                help="Every hidden layer also projects onto itself, as SpyTorch's networks do.")
    try:
        sizes = parse_arch(st.session_state[P + "arch"])
        spikes = parse_spikes(st.session_state[P + "spikes"])
        return fc_workload(sizes, spikes or (), int(st.session_state[P + "steps"]),
                           recurrent=bool(st.session_state[P + "recurrent"]))
    except ValueError as exc:
        st.error(f"{md(exc, 600)} Example: sizes 784-800-10 with spikes 100,80,10.")
        return None


def pick_run() -> Workload | None:
    """Draw the saved-run picker and its spike override; return the run's workload or None."""
    from core.store import default_db_path

    db = str(default_db_path())
    try:
        runs, skipped = list_runs(db)
    except ValueError as exc:
        st.error(md(exc, 600))
        return None
    if skipped:
        st.caption(f"Skipped run(s) {', '.join(map(str, skipped))}: their stored JSON cannot be "
                   "read.")
    if not runs:
        st.info("No saved training runs yet: train one (surrogate, ReL-PSP or a NAS search) "
                f"or type an architecture. Runs are read from {db}.")
        return None
    labels = {run_id: label for run_id, label, _ in runs}
    if st.session_state[P + "run"] not in labels:
        if st.session_state[P + "run"] is not None:
            add_note(f"run {st.session_state[P + 'run']} is not a saved training run here, so "
                     "the page costs the newest")
            show_notes()
        st.session_state[P + "run"] = runs[0][0]
    a, b = st.columns([3, 2])
    a.selectbox("Run", list(labels), format_func=labels.get, key=P + "run")
    b.text_input("Spikes per layer (override)", key=P + "run_spikes",
                 help="Needed when the run records no metrics['spikes_per_layer'].")
    try:
        spikes = parse_spikes(st.session_state[P + "run_spikes"])
        run_id = int(st.session_state[P + "run"])
        if dict((i, kind) for i, _, kind in runs)[run_id] == "nir":
            return nir_workload(run_id, spikes)
        st.session_state[CHOSEN] = run_id
        return run_workload(db, run_id, spikes)
    except ValueError as exc:
        st.error(md(exc, 600))
        return None


def nir_workload(run_id: int, spikes: tuple[float, ...] | None) -> Workload | None:
    """Draw an imported network's summary and simulation panel; return its workload once
    simulated, else None."""
    from core.hardware.runs import workload_from_run
    from core.store import RunStore, default_db_path

    db = str(default_db_path())
    st.session_state[CHOSEN] = run_id
    nir_parts.network_summary(RunStore(db).get_run(run_id))
    nir_parts.simulate_panel(db, RunStore(db).get_run(run_id), list_runs.clear)
    run = RunStore(db).get_run(run_id)  # read again: a finished simulation stored its counts
    if spikes is None and not run.metrics.get("spikes_per_layer"):
        st.info("Simulate the network on a data set to price it (or give its spike counts "
                "under *A saved run*).")
        return None
    return workload_from_run(run, spikes)


def si(value: float | None, unit: str) -> str:
    """``1.22e-6, "J"`` -> ``1.22 µJ``; a dash for None (draws nothing)."""
    if value is None:
        return "—"
    for factor, prefix in ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def metrics_row(main: EnergyReport) -> None:
    """Draw the headline figures (energy, latency, power, ops, ANN) of one model's report."""
    st.caption(f"Headline figures from the {model_title(main.model)} model.")
    cols = st.columns(6)
    cols[0].metric("Energy / frame", si(main.energy_per_frame_j, "J"))
    cols[1].metric("Latency", si(main.latency_s, "s"))
    cols[2].metric("Power", si(main.power_w, "W"))
    cols[3].metric("Synaptic ops", f"{main.synaptic_ops:,.0f}")
    cols[4].metric("ANN energy", si(main.ann_energy_j, "J"))
    cols[5].metric("ANN / SNN", "—" if main.ann_ratio is None else f"{main.ann_ratio:.3g}×")


def layer_table(report: EnergyReport) -> pd.DataFrame:
    """The per-layer table the page shows and offers as CSV (draws nothing)."""
    return pd.DataFrame([{
        "layer": x.name, "neurons": x.neurons, "spikes": x.spikes, "synaptic ops (AC)":
        x.synaptic_ops, "MACs": x.macs, "ops per step": x.ops_per_step, "sparsity": x.sparsity,
        "ANN MACs": x.dense_macs,
    } for x in report.layers])


def calibration_panel(name: str, params: Any) -> None:
    """Draw, folded, the model beside the published measurement it is calibrated against."""
    model = make_model(name, params)
    fig = model.published
    if fig is None:
        return
    with st.expander(f"Calibration against the published {model.label} figure", expanded=False):
        try:
            cal = calibrate(model)
        except ValueError as exc:
            st.error(f"{md(exc, 600)} The published network is "
                     f"{'-'.join(map(str, fig.sizes))}.")
            return
        st.caption(f"{fig.label}: {fig.source}. Spikes: every neuron fires once (the one-spike "
                   "bound). The ratios are computed with the parameters on the left.")
        st.dataframe(pd.DataFrame({
            "": ["energy per frame (µJ)", "latency (ms)", "power (mW)"],
            "published": [fig.energy_per_frame_j * 1e6, fig.latency_s * 1e3, fig.power_w * 1e3],
            "model": [cal.report.energy_per_frame_j * 1e6, (cal.report.latency_s or 0) * 1e3,
                      (cal.report.power_w or 0) * 1e3],
            "model / published": [cal.energy_ratio, cal.latency_ratio, cal.power_ratio],
        }), hide_index=True, key=P + "calibration_" + name)


def save_estimate(workload: Workload, reports: dict[str, EnergyReport], params: Params) -> None:
    """Save the reports as a ``hardware`` run and say its id (or why not)."""
    from core.store import RunStore

    models = [make_model(name, p) for name, p in params.items()]
    config = {"network": workload.label, "sizes": list(workload.sizes),
              "spikes": list(workload.spikes),
              **{m.settings_key: m.settings() for m in models if m.settings_key},
              "hardware": {m.name: m.settings() for m in models}}
    try:
        run_id = RunStore().save_run("hardware", config, name=workload.label,
                                     metrics={name: r.to_dict() for name, r in reports.items()})
    except ValueError as exc:
        st.error(f"{exc}")
        return
    st.success(f"Saved as run {run_id}.")


def mesh_panel(report: EnergyReport) -> None:
    """Draw a mesh model's PE utilisation and router traffic, with the report's notes."""
    st.subheader("The mesh")
    chart(mesh_figure(mesh_view(report.extra["mesh"])), P + "mesh_fig")
    st.caption("Each PE is labelled with the layer it holds (L1 = first hidden layer) and "
               "the fraction of the frame its core was busy. Input spikes enter and output "
               "spikes leave at router (0, 0). " + " ".join(report.notes))


def neurobench_section(run_id: int) -> None:
    """Draw NeuroBench's counts beside SpikeLab's for the run being priced (nir, surrogate)."""
    from core.store import RunStore, default_db_path

    db = str(default_db_path())
    nir_parts.neurobench_panel(db, RunStore(db).get_run(run_id))


def price(workload: Workload, params: Params) -> dict[str, EnergyReport]:
    """Every registered model's report of one frame; a model that cannot price the network
    says why in a warning and is left out."""
    reports: dict[str, EnergyReport] = {}
    for name, p in params.items():
        model = make_model(name, p)
        try:
            model.check(workload)
            note = model.work_note(workload)
            if note is None:
                reports[name] = estimate(name, workload, p)
                continue
            with st.spinner(note):
                reports[name] = estimate(name, workload, p)
        except ValueError as exc:
            st.warning(f"{model.label} (maps {model.maps}): {exc}")
    return reports


def main() -> None:
    """Draw the Hardware page: the network, every model's figures, the sweep and the mesh."""
    st.title("Hardware")
    st.caption("How much energy would one frame take on a chip? Each model prices it: "
               + "; ".join(f"**{m.label}**, {m.summary}" for m in MODELS) + ".")
    init_state()
    show_notes()
    params = sidebar()
    workload = pick_workload()
    if workload is None:
        return
    reports = price(workload, params)
    main_report = next((r for n, r in reports.items() if not get_model(n).baseline),
                       next(iter(reports.values())))
    metrics_row(main_report)
    st.subheader("Spikes and synaptic operations per layer")
    chart(layer_figure(layer_bars(main_report)), P + "layers_fig")
    st.dataframe(layer_table(main_report), hide_index=True, key=P + "layers_table")
    csv_button(layer_table(main_report), "layers", P + "layers_csv", label="Download table (CSV)")
    left, right = st.columns(2)
    with left:
        st.subheader("Energy breakdown")
        chart(breakdown_figure(list(reports), energy_breakdown(reports)), P + "breakdown_fig")
    with right:
        st.subheader("Energy against spike rate")
        sweep_slot = st.container()
    for name, report in reports.items():
        if "mesh" in get_model(name).reports:
            mesh_panel(report)
    if st.session_state[CHOSEN] is not None:
        neurobench_section(int(st.session_state[CHOSEN]))
    for name in params:
        calibration_panel(name, params[name])
    if st.button("Save this estimate", key=P + "save"):
        save_estimate(workload, reports, params)
    with sweep_slot:  # last: the rest of the page is on screen while the sweep runs
        sweep_panel(workload, params, [n for n in reports if not get_model(n).baseline], P)


run_page(main, lambda: publish(P, FIELDS))
