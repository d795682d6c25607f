"""The Hardware page's parts for imported networks: a ``.nir`` upload, its simulation on a
data set, and NeuroBench's operation counts beside SpikeLab's (both as background jobs)."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app.job_view import JobPanel, Said, Start, job_panel
from app.url_state import Field, shown
from core.data.registry import DATASET_INFO
from core.interop.nir_graph import CONVENTIONS, DEFAULT_DT, NORSE_DT, ORDERS
from core.interop.nir_run import INPUTS, SIM_DATASETS, input_label, matching_datasets
from core.jobs import Job, JobSnapshot
from core.store import check_upload

P = "hw_"
SIM_JOB, NB_JOB = P + "sim_job", P + "nb_job"
NEUROBENCH_KINDS = ("nir", "surrogate")
SPIKELAB = "SpikeLab (every spike × its synapses, hardware convention)"
NEUROBENCH = "NeuroBench 2.3 (Yik et al., Nat. Commun. 16, 1545, 2025)"
DIFFERENCES = (
    "**Recurrent weights, last step**: SpikeLab's hardware model charges every hidden spike its "
    "recurrent fan-out; NeuroBench counts only the products computed inside the window, so the "
    "last step's spikes drive none (a recurrent run's ratio is above 1 by exactly those).",
    "**Analog input as MACs**: NeuroBench counts a non-spiking input (Braille's encoder input) "
    "as multiply-accumulates; SpikeLab's model of a surrogate run leaves it out.",
    "**Activation sparsity over spiking layers only**: NeuroBench's covers the spiking layers; "
    "SpikeLab's the layers after the input, a silent readout included.",
)
CITATION = ("Yik et al., \"The NeuroBench framework for benchmarking neuromorphic computing "
            "algorithms and systems\", *Nature Communications* 16, 1545 (2025).")
NEUROBENCH_PIN = "neurobench==2.3.0"  # requirements.txt's
ORDER_HELP = {"euler": "euler: the previous step's current (NIR's Euler step, Norse, SpyTorch)",
              "snntorch": "snntorch: the same step's current (snn.Synaptic)"}
CONVENTION_HELP = {"nir": "NIR: tau in seconds (snnTorch, SpikingJelly, Sinabs, SpikeLab)",
                   "norse": "Norse's to_nir: tau written as dt·tau"}
# What the page keeps in its URL for these parts.
FIELDS = {
    "dataset": Field(SIM_DATASETS[0], choices=SIM_DATASETS), "data_path": Field(""),
    "samples": Field(100, 1, 10_000), "nb_samples": Field(100, 1, 10_000),
    "nir_dt": Field(None, 1e-7, 1.0, kind=float), "nir_order": Field("euler", choices=ORDERS),
    "nir_convention": Field("nir", choices=CONVENTIONS),
    "sim_input": Field("spikes", choices=tuple(INPUTS)),
}


def import_options() -> tuple[float | None, str, str]:
    """The import's dt (None: the file's, else the convention's default), current order and
    time-constant convention: the choices ``import-nir`` has."""
    s = st.session_state
    a, b, c = st.columns(3)
    c.selectbox("Time constants written by", CONVENTIONS, key=P + "nir_convention",
                format_func=CONVENTION_HELP.get,
                help="norse.torch.to_nir writes each tau as dt / tau_inv = dt·tau; SpikeLab "
                     "then divides by dt and steps at that dt.")
    fallback = NORSE_DT if s[P + "nir_convention"] == "norse" else DEFAULT_DT
    a.number_input("Time step dt (s)", 1e-7, 1.0, key=P + "nir_dt", format="%g", step=1e-4,
                   placeholder=f"the file's, else {fallback:g}",
                   help="Empty: the file's metadata dt, else 1e-4 s (snnTorch's) or, for "
                        "Norse's convention, 1e-3 s (Norse's).")
    b.selectbox("CubaLIF current order", ORDERS, key=P + "nir_order",
                format_func=ORDER_HELP.get)
    dt = s[P + "nir_dt"]
    return (None if dt is None else float(dt)), s[P + "nir_order"], s[P + "nir_convention"]


def upload_run(on_new: Callable[[], None]) -> int | None:
    """The run of an uploaded ``.nir`` file, imported (and stored) once per file; ``on_new``
    is called after a new import (the page's run list cache is cleared with it)."""
    uploaded = st.file_uploader("A NIR graph (.nir), written by snnTorch, Norse, SpikingJelly, "
                                "Sinabs, Lava-DL or SpikeLab", type=["nir"], key=P + "nir_file")
    if uploaded is None:
        st.info("Upload a .nir file: SpikeLab imports it as a saved run, simulates it on a data "
                "set and prices it.")
        return None
    name = shown(uploaded.name, 80)
    try:
        check_upload(uploaded.size, name)  # before its bytes are read
    except ValueError as exc:
        st.error(f"{exc} Nothing was stored.")
        return None
    options = import_options()
    raw = uploaded.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    key = f"{digest}:{options}"  # the same file with other options is another network
    imported: dict[str, int] = st.session_state.setdefault(P + "imported", {})
    if key not in imported:
        try:
            imported[key], new = _import_once(raw, digest, uploaded.name, *options)
        except ValueError as exc:
            st.error(f"{name}: {shown(exc, 600)}")
            return None
        if new:
            on_new()
        else:
            st.session_state[P + "import_note"] = (
                f"This file, with these options, is already run {imported[key]}: opened it "
                "rather than storing it twice.")
    if P + "import_note" in st.session_state:
        st.caption(st.session_state.pop(P + "import_note"))
    st.success(f"{name} is saved as run {imported[key]} (pick it later under "
               "*A saved run*).")
    return imported[key]


def _import_once(raw: bytes, digest: str, name: str, dt: float | None = None,
                 order: str = "euler", convention: str = "nir") -> tuple[int, bool]:
    """The run holding this file (SHA-256 ``digest``) imported with these options, importing
    it only when no stored run already does; and whether it was imported now."""
    from core.interop.nir_run import import_nir, stored_import
    from core.store import RunStore

    store = RunStore()
    found = stored_import(store, digest, dt, order, convention)
    if found is not None:
        return found, False
    return int(import_nir(raw, store, name=name, dt=dt, order=order,
                          convention=convention)["run_id"]), True


def network_summary(run: Any) -> None:
    """Layer sizes, the neurons per layer and the time step of an imported network."""
    cfg = run.config
    st.markdown(f"**Layers** {' → '.join(map(str, cfg['layer_sizes']))} (input first); "
                f"source: {shown(cfg.get('source', 'unknown'), 80)}.")
    neurons = pd.DataFrame([{k: v for k, v in layer.items() if k != "shape"}
                            for layer in cfg["neurons"]])
    st.dataframe(neurons.astype(str), hide_index=True, key=P + "nir_neurons")
    norse = " (time constants read as Norse writes them: dt·τ)" if cfg.get(
        "convention") == "norse" else ""
    st.caption(f"Forward Euler at dt = {cfg['dt_s']:g} s, order {shown(cfg['order'], 20)} "
               f"(dialect {shown(cfg.get('dialect', 'nir'), 20)}){norse}; a spike resets the "
               "membrane to 0. β = 1 − dt/τ, α = 1 − dt/τ_syn (docs/interop.md).")


def data_inputs(datasets: list[str] | tuple[str, ...]) -> tuple[str | None, bool]:
    """The data path and downloads switch, for a data set that is not shipped."""
    s = st.session_state
    if all(DATASET_INFO[d].offline for d in datasets):
        return None, False
    a, b = st.columns([3, 1])
    a.text_input("Data path (optional)", key=P + "data_path",
                 help="A local copy of the data set's file(s); empty: the cache.")
    b.toggle("Allow downloads", key=P + "download")
    return s[P + "data_path"].strip() or None, bool(s.get(P + "download"))


def simulate_panel(db: str, run: Any, on_done: Callable[[], None]) -> None:
    """Pick a data set whose input fits, simulate the run on it (a job) and show the result;
    ``on_done`` is called when a simulation stored its counts."""
    from core.interop import work

    s = st.session_state
    options = matching_datasets(list(run.config["layer_sizes"]))
    if not options:
        st.warning(f"No data set gives {run.config['layer_sizes'][0]} inputs per step "
                   f"({', '.join(SIM_DATASETS)} do not), so this network cannot be simulated "
                   "here; give spike counts to price it.")
        return
    if s[P + "dataset"] not in options:
        s[P + "dataset"] = options[0]
    a, b = st.columns([2, 1])
    a.selectbox("Simulate on", options, key=P + "dataset",
                format_func=lambda n: DATASET_INFO[n].title)
    b.number_input("Test samples", 1, 10_000, key=P + "samples")
    encoding = input_choice(s[P + "dataset"])
    path, download = data_inputs([s[P + "dataset"]])
    launch = functools.partial(Job, work.simulate, db, run.id, s[P + "dataset"], path,
                               int(s[P + "samples"]), download, encoding, name="simulate")
    job_panel(JobPanel(SIM_JOB, SIM_JOB + "_stop", failed="Simulating failed",
                       label="Simulating"),
              [Start("Simulate", P + "simulate", launch, primary=False)],
              done=lambda snap: keep_result(snap, P + "sim_result", "Simulating", on_done))
    result = s.get(P + "sim_result")
    if result is not None and result.get("run_id") == run.id:
        show_simulation(result)


def input_choice(dataset: str) -> str:
    """The input the simulation feeds (images: spikes or analog currents), said in words."""
    if DATASET_INFO[dataset].kind != "image":
        st.caption(f"Input: {input_label('current', dataset)}, as SpikeLab trains on "
                   f"{DATASET_INFO[dataset].title}.")
        return "spikes"
    st.radio("Input", tuple(INPUTS), key=P + "sim_input", horizontal=True,
             format_func=lambda k: {"spikes": "spikes (time-to-first-spike)",
                                    "current": "analog current"}[k],
             help="A network trained on pixel values as currents needs the analog input; "
                  "one trained on SpikeLab's spike images needs the spikes.")
    encoding = st.session_state[P + "sim_input"]
    st.caption(f"The network is fed {input_label(encoding, dataset)}.")
    return encoding


def show_simulation(result: dict[str, Any]) -> None:
    """Draw a simulation's accuracy, samples, time steps and spikes per layer."""
    acc = result["accuracy"]
    c = st.columns(3)
    c[0].metric("Accuracy", "—" if acc is None else f"{acc:.3f}")
    c[1].metric("Samples", f"{result['samples']}")
    c[2].metric("Time steps", f"{result['time_steps']}")
    st.caption(f"Input: {input_label(result.get('input_encoding', 'spikes'), result['dataset'])}.")
    if result.get("accuracy_note"):
        (st.info if acc is not None else st.caption)(result["accuracy_note"])
    st.dataframe(pd.DataFrame({
        "layer": result["layer_names"],
        "spikes per sample": [None if x is None else round(x, 2)
                              for x in result["spikes_per_layer"]],
    }), hide_index=True, key=P + "sim_spikes")


def keep_result(snap: JobSnapshot, result_key: str, label: str,
                on_done: Callable[[], None] | None = None) -> Said | None:
    """Keep a finished job's result under ``result_key`` (then call ``on_done``); a stopped
    job stored nothing, and the line says so (a failure is the panel's own line)."""
    if snap.result is None:
        return "warning", f"{label} was stopped; nothing was stored."
    st.session_state[result_key] = snap.result
    if on_done is not None:
        on_done()
    return None


def neurobench_installed() -> bool:
    """Whether this environment has NeuroBench (``make run`` installs it; a bare pip may not)."""
    return importlib.util.find_spec("neurobench") is not None


def neurobench_panel(db: str, run: Any) -> None:
    """NeuroBench's counts beside SpikeLab's on the same test samples, on request (a job)."""
    from core.interop import work

    s = st.session_state
    if run.kind not in NEUROBENCH_KINDS:
        return
    st.subheader("Operation counts: SpikeLab and NeuroBench")
    dataset = run.config.get("dataset") or run.metrics.get("dataset")
    if not dataset:
        st.caption("Simulate the network on a data set first; NeuroBench then counts the same "
                   "test samples.")
        return
    a, b = st.columns([1, 2])
    a.number_input("Test samples for NeuroBench", 1, 10_000, key=P + "nb_samples")
    b.caption(f"Runs NeuroBench's own Benchmark (SynapticOperations, ActivationSparsity, "
              f"MembraneUpdates, Footprint) on an snnTorch model of run {run.id} on "
              f"{shown(dataset, 40)}: "
              "15 s to 2 min.")
    path, download = None, False
    if not DATASET_INFO[dataset].offline:
        if run.kind != "nir" or DATASET_INFO[s[P + "dataset"]].offline:  # no path shown yet
            data_inputs([dataset])
        path, download = s[P + "data_path"].strip() or None, bool(s.get(P + "download"))
    missing = not neurobench_installed()
    if missing:
        st.info(f"NeuroBench is not installed in this environment, so it cannot count here: "
                f"`{NEUROBENCH_PIN}` is in requirements.txt (`make run` installs it); or "
                f"`.venv/bin/pip install {NEUROBENCH_PIN}` and restart the app.")
    launch = functools.partial(Job, work.neurobench, db, run.id, int(s[P + "nb_samples"]),
                               path, download, name="neurobench")
    job_panel(JobPanel(NB_JOB, NB_JOB + "_stop", failed="NeuroBench failed",
                       label="NeuroBench"),
              [Start("Count with NeuroBench", P + "nb_go", launch, disabled=missing,
                     primary=False)],
              done=lambda snap: keep_result(snap, P + "nb_result", "NeuroBench"))
    result = s.get(P + "nb_result")
    if result is not None and result.get("run_id") == run.id:
        show_counts(result)


def counts_table(r: dict[str, Any]) -> pd.DataFrame:
    """SpikeLab's and NeuroBench's figures per sample, side by side."""
    rows = [
        ("synaptic operations (ACs)", r["spikelab_synaptic_ops_same_samples"],
         r["neurobench_acs"]),
        ("MACs", r.get("spikelab_macs_same_samples"), r["neurobench_macs"]),
        ("activation sparsity", r["spikelab_activation_sparsity"],
         r["neurobench_activation_sparsity"]),
        ("membrane updates", None, r["neurobench_membrane_updates"]),
        ("footprint (bytes)", None, r["neurobench_footprint_bytes"]),
        ("SpikeLab's simulation counted NeuroBench's way (ACs)", r["spikelab_nir_count"], None),
    ]
    return pd.DataFrame([{"per sample": name, SPIKELAB: ours, NEUROBENCH: theirs}
                         for name, ours, theirs in rows])


def show_counts(r: dict[str, Any]) -> None:
    """Draw SpikeLab's and NeuroBench's counts side by side, and where they differ."""
    ratio = r["synops_ratio"]
    st.metric("SpikeLab / NeuroBench synaptic operations",
              "—" if ratio is None else f"{ratio:.4f}")
    st.dataframe(counts_table(r), hide_index=True, key=P + "nb_table")
    st.caption(f"{r['neurobench_samples']} test samples of {r['neurobench_dataset']}. Both "
               "count one accumulate per spike per non-zero synapse, biases excluded. They "
               "differ in:")
    st.markdown("\n".join(f"- {d}" for d in DIFFERENCES))
    st.caption(f"NeuroBench: {CITATION}")
