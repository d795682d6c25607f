"""The NAS page's full-scale retraining: a *Retrain at full scale* job (progress and stop)
under the chosen conditions (by default the trial's own and the same-shape DNN) and the table
of retrained architectures, one row per condition, proxy accuracy beside full-scale validation
and test accuracy (``core.nas.retrain``, ``core.nas.retrain_views``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.charts import csv_button
from app.job_view import JobPanel, Start, current, ended_line, job_panel, running
from app.text import md
from core.data.registry import DATASET_INFO
from core.jobs import Job
from core.nas.retrain_conditions import CONDITIONS, DNN, SAME, condition_title

P = "nas_"
RJOB = P + "retrain_job"
STUDY_DATA = "the study's"
DEFAULT_CONDITIONS = [SAME, DNN]  # the searched SNN and the same-shape DNN beside it
IMAGE_SETS = tuple(name for name, info in DATASET_INFO.items() if info.kind == "image")


def init_retrain_state() -> None:
    """The retraining form's defaults, set once per session (no job yet)."""
    s = st.session_state
    for key, value in {RJOB: None, P + "rt_top": 1, P + "rt_epochs": 0,
                       P + "rt_dataset": STUDY_DATA,
                       P + "rt_as": list(DEFAULT_CONDITIONS)}.items():
        s.setdefault(key, value)


def retrain_running() -> bool:
    """Whether this session's full-scale retraining runs (not yet handed back)."""
    return running(RJOB)


def retrained(store_path: str | None = None) -> list[Any]:
    """The full-scale runs in the run store (newest first); none when it cannot be read."""
    from core.nas.retrain import retrained_runs
    from core.store import RunStore

    try:
        return retrained_runs(RunStore(store_path))
    except ValueError as exc:
        st.warning(md(exc), icon=":material/warning:")
        return []


def start_retrain(url: str, study: str) -> Job:
    """Start the retraining job for ``study``; a refused request raises ``ValueError`` (the
    panel shows its one line)."""
    from core.nas.retrain import RetrainRequest, retrain_job
    from core.nas.study import open_study
    from core.store import RunStore
    from core.store.studies import existing_storage

    s = st.session_state
    dataset = s[P + "rt_dataset"]
    if dataset == STUDY_DATA:
        dataset = open_study(existing_storage(url), study)[1].dataset
    request = RetrainRequest(
        url, study, dataset, top=int(s[P + "rt_top"]),
        epochs=int(s[P + "rt_epochs"]) or None,
        data_path=s.get(P + "data_path", "").strip() or None,
        download=bool(s.get(P + "download")), conditions=tuple(s[P + "rt_as"]))
    return Job(retrain_job, request, str(RunStore().path), name=f"{study} full scale")


def retrain_job_panel(url: str) -> None:
    """The retraining's start button, Stop, progress and how it ended."""
    job = current(RJOB)
    label = f"**{md(job.name)}**" if job is not None else ""
    panel = JobPanel(RJOB, P + "retrain_stop", failed="The retraining failed", label=label,
                     keep=True, stop_label="Stop retraining")
    start = Start("Retrain at full scale", P + "retrain",
                  lambda: start_retrain(url, st.session_state[P + "rt_study"]))
    job_panel(panel, [start], done=lambda snap: ended_line(snap, label), widths=(1, 1, 2))


def retrain_form(url: str, studies: list[str]) -> None:
    """Draw the form (study, how many, data, epochs, conditions) and the retraining job."""
    s = st.session_state
    st.subheader("Full-scale retraining")
    st.caption("Trains the study's best architectures by proxy accuracy on the whole training "
               "set at full resolution (Adam, 1 warm-up epoch then cosine decay, batch 128, "
               "T = 4, 8:2 train:validation, best validation epoch kept), then measures the "
               "test set, under each condition chosen: the trial's own, the ReLU CNN with "
               "the same layers (DNN), or another neuron and reset. A converted condition's "
               "proxy accuracy comes from a study's trial with those layers, or is measured "
               "with the search's recipe. Minutes on the digits; about 30 minutes a run on "
               "Fashion-MNIST or MNIST on two CPU cores. A stopped job resumes from its last "
               "finished epoch when started again.")
    c1, c2, c3, c4 = st.columns(4)
    if s.get(P + "rt_study") not in studies:
        s[P + "rt_study"] = studies[0]
    c1.selectbox("Study", studies, key=P + "rt_study")
    c2.number_input("Best architectures", 1, 20, key=P + "rt_top")
    c3.selectbox("Data", (STUDY_DATA, *IMAGE_SETS), key=P + "rt_dataset")
    c4.number_input("Epochs (0: the recipe's)", 0, 1000, key=P + "rt_epochs")
    st.multiselect("Retrain as", CONDITIONS, format_func=condition_title, key=P + "rt_as",
                   help="Each chosen condition of each architecture is a run of its own.")
    retrain_job_panel(url)


def retrain_panel(url: str, studies: list[str], full: list[dict[str, Any]]) -> None:
    """The form, the job's progress and every retrained architecture of ``studies``."""
    if not studies:
        return
    retrain_form(url, studies)
    if not full:
        st.info("No architecture of these studies has been retrained at full scale yet.",
                icon=":material/info:")
        return
    frame = pd.DataFrame(full).round(4)
    st.dataframe(frame, hide_index=True, key=P + "full_table")
    csv_button(frame, "nas_full_scale", P + "full_csv", label="Download CSV")
    st.caption("searched: the trial's row label; condition: as retrained; proxy_source: "
               "\"study\" (a trial's validation accuracy) or \"measured\" (trained once with "
               "the search's recipe). Each row is a run of kind \"nas\" in the run store: the "
               "hardware page prices an SNN by its run id.")
