"""Surrogate-gradient training: start a run, watch it learn, look inside, reopen saved runs.

Messages that quote a visitor's input or a stored record (a data path, a run's classes) are
escaped (``app.text.md``) before they reach Markdown; unreadable saved runs are named and
skipped."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from app.charts import chart, csv_button, json_button
from app.figures.raster import raster_figure
from app.figures.training import confusion_figure, history_figure, layers_figure, traces_figure
from app.job_view import JobPanel, Start, job_panel, running
from app.nir_inspector import inspect_nir, nir_runs
from app.page import run_page
from app.records import run_record
from app.text import md
from app.url_state import Field, add_note, publish, restore, show_notes
from core.data import DataUnavailable, load_dataset
from core.data.registry import DATASET_INFO
from core.demos import about
from core.engine import FAST_NEURONS, engine_for
from core.interop.nir_run import SIM_DATASETS
from core.jobs import LIVE_CHART_AFTER, Job, JobSnapshot
from core.neurons.registry import get_model, model_names
from core.raster import spike_raster
from core.store import RunStore, default_db_path
from core.training import DEFAULTS, TrainConfig, default_config, load_report
from core.training.inputs import PreparedData, prepare
from core.training.inspect import (
    confusion_matrix,
    default_neurons,
    membrane_traces,
    readout_traces,
    record,
)
from core.training.nir_export import check_exportable, write_nir
from core.training.work import train_run

P = "tr_"
INTS = {"hidden": (1, 4096), "steps": (1, 2000), "epochs": (1, 1000),
        "batch_size": (1, 4096), "seed": (0, 2**31 - 1)}
FLOATS = {"scale": 1.0, "lr": 1e-4, "reg": 1e-6}  # widget steps
JOB, RUN = P + "job", P + "run"
# The page's settings in its URL (downloads stay off in a link); the network's parameters
# default to the chosen data set's literature values, so a link lists only what differs.
BASE_FIELDS = {
    "dataset": Field("digits", choices=tuple(DEFAULTS)), "data_path": Field(""),
    "max_train": Field(0, 0, 10**6),
    "neuron": Field(TrainConfig.neuron, choices=model_names(trainable=True)),
    "run": Field(None, 1, None, kind=int), "sample": Field(0, 0, 10**6),
    "compare": Field([], 1, None, kind=int, many=True),
    "nir_dataset": Field(SIM_DATASETS[0], choices=SIM_DATASETS),  # an imported run's samples
}
DATA_HELP = ("Give the path of a local copy in *Data path*, or switch on *Allow downloads*; "
             "to work offline pick **digits**.")


def apply_defaults() -> None:
    """Fill the parameter widgets with the chosen data set's literature defaults."""
    cfg = default_config(st.session_state[P + "dataset"])
    for name in (*INTS, *FLOATS, "recurrent"):
        st.session_state[P + name] = getattr(cfg, name)


def param_fields(dataset: str) -> dict[str, Field]:
    """The network's parameters, defaulting to ``dataset``'s literature configuration."""
    cfg = default_config(dataset)
    return {**{n: Field(getattr(cfg, n), lo, hi) for n, (lo, hi) in INTS.items()},
            **{n: Field(float(getattr(cfg, n)), 0.0, None) for n in FLOATS},
            "recurrent": Field(bool(cfg.recurrent))}


def url_fields() -> dict[str, Field]:
    """The page's link fields: the settings, then the network's for the chosen data set."""
    return {**BASE_FIELDS, **param_fields(st.session_state[P + "dataset"])}


def init_state() -> None:
    """The page's settings from its link (or their defaults), once per session."""
    s = st.session_state
    restore(P, BASE_FIELDS, notice=False)
    restore(P, param_fields(s[P + "dataset"]), notice=False)
    if P + "download" not in s:
        s[P + "download"] = False


def controls() -> TrainConfig | None:
    """Draw the sidebar (data, network, training) and return its configuration, or None
    with the reason shown when a value is refused."""
    s = st.session_state
    with st.sidebar:
        st.header("Data")
        st.selectbox("Data set", tuple(DEFAULTS), key=P + "dataset", on_change=apply_defaults,
                     format_func=lambda n: DATASET_INFO[n].title)
        if not DATASET_INFO[s[P + "dataset"]].offline:
            st.text_input("Data path (optional)", key=P + "data_path",
                          help="A local copy of the data set's file(s). Empty: the cache.")
            st.toggle("Allow downloads", key=P + "download")
        st.number_input("Training samples (0 = all)", 0, 10**6, key=P + "max_train")
        st.header("Network and training")
        st.caption("Defaults: SpyTorch tutorials 2 (Fashion-MNIST, MNIST), 4 (SHD), 5 (Braille).")
        st.selectbox("Neuron", model_names(trainable=True), key=P + "neuron",
                     format_func=lambda n: get_model(n).label,
                     help="The hidden layer's model. The fast engine trains the "
                          f"{', '.join(FAST_NEURONS)} neuron; the others train on the "
                          "reference engine (slower).")
        for name, (lo, hi) in INTS.items():
            st.number_input(name.replace("_", " ").capitalize(), lo, hi, key=P + name)
        for name, step in FLOATS.items():
            label = {"scale": "Surrogate scale", "lr": "Learning rate",
                     "reg": "Spike regulariser"}[name]
            st.number_input(label, min_value=0.0, step=step, format="%g", key=P + name)
        st.toggle("Recurrent hidden layer", key=P + "recurrent")
        st.button("Reset to the data set's defaults", on_click=apply_defaults, key=P + "reset")
    try:
        return default_config(
            s[P + "dataset"], **{n: s[P + n] for n in (*INTS, *FLOATS, "recurrent")},
            max_train=int(s[P + "max_train"]) or None,
            neuron=s[P + "neuron"], engine=engine_for(s[P + "neuron"]),
        )
    except ValueError as exc:
        st.error(f"{exc} Change the value in the sidebar.")
        return None


def data_hint(error: str) -> str:
    """What to do after a failure that names a download: give a path, allow it, or go
    offline."""
    return DATA_HELP if "download" in error.lower() else ""


PANEL = JobPanel(JOB, P + "stop", failed="Training failed", hint=data_hint)


def launch(config: TrainConfig | None) -> Job:
    """Start training ``config`` in a worker; its run is saved in the run store."""
    if config is None:
        raise ValueError("Fix the settings in the sidebar first.")
    s = st.session_state
    return Job(train_run, config, s[P + "data_path"].strip() or None, bool(s[P + "download"]),
               str(default_db_path()), name="training")


def finished(snap: JobSnapshot) -> None:
    """A finished (or stopped) job's run opens; the live chart is dropped."""
    st.session_state.pop(P + "live", None)
    if snap.state != "failed":
        st.session_state[RUN] = snap.result


def live_chart(snap: JobSnapshot) -> None:
    """The finished epochs of the running job, from the snapshot its progress line shows, so
    the two never disagree (from ``LIVE_CHART_AFTER`` seconds on). The figure is kept in
    session state and rebuilt only when another epoch has finished."""
    history = tuple(getattr(snap.progress, "history", None) or ())
    if snap.seconds < LIVE_CHART_AFTER or not history:
        return
    s = st.session_state
    kept = s.get(P + "live")
    if kept is None or kept[0] != len(history):
        kept = (len(history), history_figure({"run": list(history)}))
        s[P + "live"] = kept
    chart(kept[1], P + "live_fig")


@st.cache_resource(max_entries=8, show_spinner="Loading the run ...")
def cached_report(db: str, run_id: int):
    """A saved run's training report, loaded once per run."""
    return load_report(RunStore(db), run_id)


@st.cache_resource(max_entries=2, show_spinner="Loading the data ...")
def cached_data(config: TrainConfig, data_path: str | None, download: bool) -> PreparedData:
    """The run's data set, loaded and prepared once per configuration."""
    return prepare(load_dataset(config.dataset, data_path, download=download), config)


@st.cache_data(max_entries=8, show_spinner="Classifying the test set ...")
def cached_confusion(db: str, run_id: int, data_path: str | None, download: bool) -> np.ndarray:
    """The run's confusion matrix on the test set, computed once per run."""
    report = cached_report(db, run_id)
    return confusion_matrix(report.params, cached_data(report.config, data_path, download),
                            report.config)


def nir_download(report, run_id: int) -> None:
    """The run as a NIR graph, or a caption saying why its neuron has no NIR node."""
    try:
        check_exportable(report.config)
    except ValueError as exc:
        st.caption(str(exc))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = write_nir(report.params, report.config, report.dt_ms, Path(tmp) / "n.nir")
        nir_bytes = path.read_bytes()
    st.download_button("Download as NIR", nir_bytes, f"spikelab_run_{run_id}.nir",
                       key=P + "nir")


def record_download(db: str, run_id: int) -> None:
    """Draw the run's JSON record download button."""
    record = run_record(RunStore(db).get_run(run_id))
    json_button(record, f"run_{run_id}", P + "json", label="Download run (JSON)")


def check_run(db: str) -> None:
    """Forget a linked run that is not in this run store, saying so."""
    run_id = st.session_state.get(RUN)
    if run_id is None or st.session_state.get(P + "checked") == run_id:
        return
    try:
        RunStore(db).get_run(int(run_id))
        st.session_state[P + "checked"] = run_id  # once per run, not on every rerun
    except (ValueError, OSError):
        add_note(f"run {run_id} is not in this run store, so no run is shown")
        st.session_state[RUN] = None


def inspect_run(db: str, run_id: int) -> None:
    """Draw a saved run: its metrics, curves, downloads, rasters, membranes and confusion."""
    s = st.session_state
    report = cached_report(db, run_id)
    cfg = report.config
    c = st.columns(5)
    c[0].metric("Test accuracy", f"{report.test_accuracy:.3f}")
    c[1].metric("Train accuracy", f"{report.train_accuracy:.3f}")
    c[2].metric("Spikes per sample", f"{report.spikes_per_sample:.0f}")
    c[3].metric("Seconds", f"{report.seconds:.1f}")
    c[4].metric("Epochs", f"{len(report.history)}/{cfg.epochs}" + (" (stopped)"
                if report.stopped else ""))
    if report.history:
        chart(history_figure({f"run {run_id}": report.history}), P + "hist")
    c1, c2, c3 = st.columns(3)
    with c1:
        record_download(db, run_id)
    if report.history:
        csv_button(pd.DataFrame(report.history), f"run_{run_id}_history", P + "hist_csv", c2,
                   label="Download curves (CSV)")
    with c3:
        nir_download(report, run_id)
    path = s[P + "data_path"].strip() or None
    try:
        data = cached_data(cfg, path, bool(s[P + "download"]))
    except (DataUnavailable, ValueError, OSError) as exc:
        st.error(f"The run's data cannot be loaded to look inside: {exc} {DATA_HELP}")
        return
    n_test = len(data.y_test)
    c1, c2 = st.columns(2)
    s[P + "sample"] = min(int(s[P + "sample"]), n_test - 1)
    sample = c1.number_input("Test sample", 0, n_test - 1, key=P + "sample")
    rec = record(report.params, data, cfg, [int(sample)])
    chosen = c2.multiselect("Neurons for membrane traces", list(range(cfg.hidden)),
                            default_neurons(rec, cfg.hidden), key=P + "neurons")
    label, pred = int(rec.labels[0]), int(rec.predictions[0])
    st.caption(f"Label **{md(report.classes[label])}**, predicted "
               f"**{md(report.classes[pred])}**.")
    left, right = st.columns(2)
    chart(raster_figure(spike_raster(rec.hidden_spikes[:, 0], rec.dt_ms), "Hidden-layer raster"),
          P + "raster", left)
    first = rec.encoder if rec.encoder is not None else rec.inputs
    chart(raster_figure(spike_raster(first[:, 0], rec.dt_ms), "Encoder raster"
                        if rec.encoder is not None else "Input spikes"), P + "in_raster", right)
    if chosen:
        adapts = "threshold" in get_model(cfg.neuron).traces  # e.g. the adaptive LIF's A[t]
        title = "Membrane (base threshold 1, adapting)" if adapts else "Membrane (threshold 1)"
        chart(traces_figure(membrane_traces(rec, chosen), title), P + "mem", left)
    chart(traces_figure(readout_traces(rec, report.classes), "Readout (max over time decides)"),
          P + "readout", right)
    chart(layers_figure(rec.spikes_per_layer()), P + "layers", left)
    cm = cached_confusion(db, run_id, path, bool(s[P + "download"]))
    chart(confusion_figure(cm, report.classes), P + "confusion", right)


def saved_runs(db: str) -> None:
    """Draw the saved runs' table, the run opener and the curves of the runs compared."""
    runs = RunStore(db).list_runs(kind="surrogate", limit=200)
    if runs.skipped:
        st.caption(f"Skipped run(s) {', '.join(map(str, runs.skipped))}: their stored JSON "
                   "cannot be read.")
    if not runs:
        st.info("No saved runs yet: start one above. Runs are kept in " + db)
        return
    table = pd.DataFrame([{
        "id": r.id, "created": r.created, "dataset": r.config.get("dataset"),
        "neuron": r.config.get("neuron", TrainConfig.neuron), "hidden": r.config.get("hidden"),
        "steps": r.config.get("steps"),
        "epochs": r.metrics.get("epochs_done"), "test acc": r.metrics.get("test_accuracy"),
        "train acc": r.metrics.get("train_accuracy"), "seconds": r.metrics.get("seconds"),
        "name": r.name,
    } for r in runs])
    st.dataframe(table, hide_index=True, key=P + "runs_table")
    csv_button(table, "training_runs", P + "runs_csv", label="Download table (CSV)")
    ids = [r.id for r in runs]
    stale = [i for i in st.session_state[P + "compare"] if i not in ids]
    if stale:
        add_note(f"run(s) {', '.join(map(str, stale))} to compare are not in this run store")
        st.session_state[P + "compare"] = [i for i in st.session_state[P + "compare"] if i in ids]
    follow_open_run(ids)
    c1, c2 = st.columns([1, 2])
    pick = c1.selectbox("Open run", ids, key=P + "open")
    if c1.button("Open", key=P + "open_btn"):
        st.session_state[RUN] = pick
        st.rerun()
    compare = c2.multiselect("Compare runs", ids, key=P + "compare")
    if compare:
        by_id = {r.id: r for r in runs}
        chart(history_figure({f"run {i}": by_id[i].history for i in compare}), P + "compare_fig",
              c2)


def follow_open_run(ids: list[int]) -> None:
    """The *Open run* selector names the run on show whenever that changes (a run that just
    finished training, a linked one, one opened); a run only picked in it stays picked."""
    s = st.session_state
    run_id = s.get(RUN)
    if run_id in ids and s.get(P + "open_follows") != run_id:
        s[P + "open"] = run_id
        s[P + "open_follows"] = run_id


def main() -> None:
    """Draw the training page: settings, the training job, the run shown and the saved runs."""
    st.title("Surrogate-gradient training")
    st.caption("SpyTorch networks (Zenke & Vogels 2021): current-based LIF hidden layer (or the "
               "neuron chosen in the sidebar), leaky readout, fast-sigmoid surrogate "
               "1/(scale|U-1|+1)^2, loss = NLL of the max-over-time readout + reg x spikes.")
    init_state()
    db = str(default_db_path())
    notices = st.container()
    check_run(db)
    config = controls()
    job_panel(PANEL, [Start("Start training", P + "start", lambda: launch(config),
                            disabled=config is None)],
              live=live_chart, done=finished, widths=(1, 1, 4))
    busy = running(JOB)
    if not busy and st.session_state.get(RUN) is None:
        st.caption("Nothing trains until you press **Start training**: digits with its "
                   f"defaults trains in {about('train-digits-defaults')} on 2 cores; the "
                   "other data sets take minutes.")
    try:
        if st.session_state.get(RUN) is not None and not busy:
            st.subheader(f"Run {st.session_state[RUN]}")
            run = RunStore(db).get_run(int(st.session_state[RUN]))
            if run.kind == "nir":  # an imported network: rasters and membranes of a sample
                inspect_nir(db, run, not DATASET_INFO[st.session_state[P + "dataset"]].offline)
            else:
                inspect_run(db, run.id)
        st.subheader("Saved runs")
        saved_runs(db)
        nir_runs(db)
    except (ValueError, OSError) as exc:
        st.error(f"{md(exc, 600)} Pick another run, or point SPIKELAB_DB at a working "
                 "database.")
    publish(P, url_fields())
    with notices:
        show_notes()


run_page(main)
