"""ReL-PSP: train single-spike networks with STDBP and see why they keep firing."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.charts import chart, csv_button, json_button
from app.figures.relpsp import (
    class_times_figure,
    epochs_figure,
    grad_figure,
    histogram_figure,
    output_times_figure,
)
from app.job_view import JobPanel, Said, Start, current, job_panel, running
from app.page import run_page
from app.records import run_record
from app.registry import PAGES
from app.relpsp_runs import hidden_dead, label, matching, partner
from app.relpsp_settings import (
    CSNN_TAKES,
    JOB,
    TRAIN_TAKES,
    P,
    big_csnn,
    configs,
    init_state,
    settings,
    url_fields,
)
from app.url_state import add_note, publish, show_notes, shown
from core.jobs import Job, JobSnapshot
from core.limits import network_mode
from core.relpsp.summary import (
    class_times,
    epoch_series,
    grad_histograms,
    output_times,
    time_histogram,
)
from core.relpsp.work import train_configs
from core.store import Run, RunStore, default_db_path


def header() -> None:
    """Draw the title, the model's equations and the link to the single-neuron explorer."""
    st.title("ReL-PSP neurons trained with STDBP")
    st.markdown(
        "Each neuron fires **once**. With the rectified-linear kernel its potential "
        "$V_j(t)=\\sum_i w_{ij}\\max(0,t-t_i)$ keeps rising while the summed weight is "
        "positive, so it fires (perhaps late) instead of dying; its spike time is exact, "
        "$t_j=(\\vartheta+\\sum_{i\\in C}w_{ij}t_i)/\\sum_{i\\in C}w_{ij}$ over the inputs $C$ "
        "that came before it. STDBP differentiates that: "
        "$\\partial t_j/\\partial t_i=w_{ij}/\\sum_C w$, "
        "$\\partial t_j/\\partial w_{ij}=(t_i-t_j)/\\sum_C w$, dividing by "
        "$\\max(\\sum_C w, \\text{min slope})$ so no gradient explodes. Loss: softmax over "
        "$-t$ of the outputs; the earliest output spike is the answer (Zhang et al., IEEE "
        "TNNLS 33(5), 2022). An alpha-PSP network trained by the same rule is the comparison."
    )
    neurons = next((p for p in PAGES if p.url_path == "neurons"), None)
    if neurons is not None:
        page = st.Page(neurons.path, title=neurons.title, url_path=neurons.url_path)
        st.page_link(page, label="Single ReL-PSP neuron: the explorer on Neuron dynamics",
                     icon=":material/show_chart:")



def data_hint(reason: str) -> str:
    """What to do after a failure: a visitor of a networked app can only name files that are
    already in the server's data cache, so only the person at the keyboard is told to give one."""
    if network_mode():
        return ("For fashion-mnist, mnist or braille switch on *Allow downloads* (data paths "
                "reach only the server's data cache); digits works offline.")
    return ("For fashion-mnist, mnist or braille give a local copy in *Data path* or switch on "
            "*Allow downloads*; digits works offline.")


PANEL = JobPanel(JOB, P + "stop", failed="Training failed", keep=True, hint=data_hint)


def launch() -> Job:
    """Start training the sidebar's network (and the alpha-PSP one when compared)."""
    job_configs = configs()  # a ValueError says which setting to change
    return Job(train_configs, job_configs, str(default_db_path()),
               bool(st.session_state[P + "download"]), name="relpsp")


def saved_ids(s: JobSnapshot) -> tuple[int, ...]:
    """The runs the job saved: its result, or (failed) those it finished before failing."""
    if s.result is not None:
        return s.result
    return s.progress.run_ids if s.progress is not None else ()


def finished(s: JobSnapshot) -> Said:
    """The first run the job saved opens; the line says how it ended and what it saved."""
    ids = saved_ids(s)
    if ids:
        st.session_state[P + "run"] = ids[0]
    saved = ", ".join(f"#{i}" for i in ids) or "none"
    return "success", f"{s.state.capitalize()} after {s.seconds:.1f} s; runs saved: {saved}."


def live_run(s: JobSnapshot) -> None:
    """The training run's last finished epoch and its accuracy curves, as it trains."""
    runs = s.progress  # a RunsProgress, None before the worker's first report
    p = runs.progress if runs else None
    if p is None or not p.history:
        st.caption("The run's curves appear here as its epochs end; the stored runs show "
                   "again when training ends.")
        return
    last = p.history[-1]
    cols = st.columns(4)
    cols[0].metric("Epoch", f"{last['epoch']}/{p.epochs}")
    cols[1].metric("Test accuracy", fmt(last.get("test_accuracy")))
    cols[2].metric("Train accuracy", fmt(last.get("train_accuracy")))
    cols[3].metric("Dead hidden neurons", fmt(hidden_dead(last)))
    acc = pd.DataFrame({"epoch": [h["epoch"] for h in p.history],
                        "train accuracy": [h["train_accuracy"] for h in p.history],
                        "test accuracy": [h["test_accuracy"] for h in p.history]})
    st.line_chart(acc, x="epoch", height=280)


@st.cache_data(max_entries=32, show_spinner=False)
def load_run(db: str, run_id: int) -> dict[str, Any]:
    """A stored run's config, history and metrics (runs never change once saved)."""
    run = RunStore(db).get_run(run_id)
    return {"id": run.id, "config": run.config, "history": run.history, "metrics": run.metrics}


def stored_runs(store: RunStore) -> list[Run]:
    """The stored ReL-PSP and alpha-PSP runs, newest first."""
    return store.list_runs("relpsp", limit=100)


def metrics_row(run: dict[str, Any]) -> None:
    """Draw a stored run's accuracy, dead neurons, spike times and seconds."""
    m = run["metrics"]
    cols = st.columns(6)
    cols[0].metric("Test accuracy", fmt(m.get("test_accuracy")))
    cols[1].metric("Train accuracy", fmt(m.get("train_accuracy")))
    cols[2].metric("Dead hidden neurons", fmt(m.get("dead_neuron_ratio")))
    cols[3].metric("Mean output spike time", fmt(m.get("mean_output_spike_time"), 2))
    cols[4].metric("Mean decision time", fmt(m.get("mean_decision_time"), 2))
    cols[5].metric("Seconds", fmt(m.get("seconds"), 1))


def downloads(run: dict[str, Any], stored: Run) -> None:
    """The run as a JSON record (as ``runs --json`` lists it, plus config and curves) and its
    per-epoch curves as CSV."""
    record = run_record(stored)
    record.update(config=run["config"], history=run["history"], metrics=run["metrics"])
    c1, c2, _ = st.columns([1, 1, 3])
    json_button(record, f"run_{stored.id}", P + "json", c1, label="Download run (JSON)")
    flat = [{k: v for k, v in h.items() if not isinstance(v, dict | list)}
            for h in run["history"]]
    csv_button(pd.DataFrame(flat), f"run_{stored.id}_history", P + "csv", c2,
               label="Download curves (CSV)")


def fmt(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals, or a dash when there is none."""
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "-"


def choose_run(runs: list[Run]) -> int | None:
    """The run to show: the one picked, linked or just trained; else the newest trained with
    the sidebar's settings (a demo's, a link's); else none, never another run's settings."""
    s = st.session_state
    ids = [r.id for r in runs]
    if s[P + "run"] is not None and s[P + "run"] not in ids:
        add_note(f"run {s[P + 'run']} is not a ReL-PSP run in this store, so the page shows "
                 "the run of these settings, if one is stored")
        s[P + "run"] = None
    if s[P + "run"] is None:
        try:
            wanted = matching(runs, configs()[0])
        except ValueError:  # settings that cannot train describe no run
            wanted = []
        s[P + "run"] = next(iter(wanted), None)
    return s[P + "run"]


def results(store: RunStore) -> None:
    """Draw the stored run chosen: downloads, metrics and its figures."""
    runs = stored_runs(store)
    if not runs:
        st.info(f"No ReL-PSP runs yet: press **Train** ({TRAIN_TAKES}).")
        return
    ids = [r.id for r in runs]
    by_id = {r.id: r for r in runs}
    if choose_run(runs) is None:
        st.info(f"No stored run was trained with these settings: press **Train** "
                f"({TRAIN_TAKES}), or pick one of the {len(ids)} stored runs.")
    st.selectbox("Stored run", ids, key=P + "run", format_func=lambda i: label(by_id[i]),
                 index=None, placeholder="Pick a stored run")
    if st.session_state[P + "run"] is None:
        return
    run = load_run(str(store.path), st.session_state[P + "run"])
    downloads(run, by_id[run["id"]])
    if not run["history"]:
        st.warning("This run was stopped before its first epoch ended: nothing to draw.")
        return
    other = partner(runs, run)
    both = [run] + ([load_run(str(store.path), other.id)] if other and other.history else [])
    metrics_row(run)
    kept = len(run["metrics"]["samples"]["labels"])
    st.session_state[P + "sample"] = min(int(st.session_state[P + "sample"]), max(kept - 1, 0))
    st.slider("Test sample", 0, max(kept - 1, 0), key=P + "sample")
    sample = min(int(st.session_state[P + "sample"]), max(kept - 1, 0))
    left, right = st.columns(2)
    chart(output_times_figure(output_times(run["metrics"], sample), sample), P + "fig_sample",
          left)
    chart(class_times_figure(*class_times(run["metrics"])), P + "fig_classes", right)
    chart(histogram_figure(time_histogram(run["history"])), P + "fig_hist", left)
    chart(epochs_figure(epoch_series(both, "dead_ratio"), "Dead-neuron ratio of hidden layers"),
          P + "fig_dead", right)
    chart(grad_figure(grad_histograms(both)), P + "fig_grad", left)
    chart(epochs_figure(epoch_series(both, "grad_max_abs", layers="all"),
                        "Largest |gradient| per epoch", log=True), P + "fig_gmax", right)
    if len(both) == 1:
        st.caption("Train with *Also train alpha-PSP for comparison* to overlay alpha-PSP.")


def main() -> None:
    """Draw the ReL-PSP page: settings, the training job, then the stored run chosen."""
    init_state()
    header()
    notices = st.container()
    settings()
    job_panel(PANEL, [Start("Train", P + "train", launch, icon=":material/play_arrow:")],
              live=live_run, done=finished, widths=(1, 1, 5))
    if current(JOB) is None:
        st.caption(f"Nothing trains until you press **Train**: "
                   f"{CSNN_TAKES if big_csnn() else TRAIN_TAKES}.")
    if not running(JOB):  # while a run trains, the page shows it, not an older one
        try:
            results(RunStore())
        except ValueError as exc:  # an unusable run database
            st.error(shown(exc, 1000))
    publish(P, url_fields())
    with notices:
        show_notes()


run_page(main)
