"""Neural architecture search: launch a small search, or open studies a cluster is filling.

A storage named by a link is shown (its password masked) but not read until **Open study** is
pressed: opening one creates a SQLite file or connects to a server. The default storage is
read on opening the page only when its file is there; a search creates it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.charts import chart, csv_button
from app.figures.nas import progress_figure, spikes_figure
from app.job_view import JobPanel, Start, current, ended_line, job_panel, running
from app.nas_design import design_panel
from app.nas_front import FIELDS as FRONT_FIELDS
from app.nas_front import front_panel
from app.nas_retrain import init_retrain_state, retrain_panel, retrain_running, retrained
from app.page import run_page
from app.storage_box import StorageBox
from app.text import md
from app.url_state import Field, add_note, publish, restore, show_notes
from core.data.registry import dataset_names
from core.jobs import Job
from core.nas.algorithms import ALGORITHM_TITLES, SEARCH_ALGORITHMS
from core.nas.retrain_views import condition_rows, full_scale_rows
from core.nas.space import MODELS, NEURONS, RESETS
from core.nas.study import Budget, SearchSpec, open_study
from core.nas.summary import (
    TrialRecord,
    algorithm_averages,
    architecture_table,
    best_so_far,
    factor_comparison,
    list_studies,
    spike_accuracy_correlation,
    spike_points,
    study_records,
)
from core.nas.trainer import PRESETS
from core.nas.work import search
from core.store.studies import check_storage, existing_storage, shown, storage_exists

P = "nas_"
JOB = P + "job"
SEARCHED = "searched"
# The page's settings and the studies shown, in its URL (downloads stay off in a link; a
# storage URL goes in only when it is not the default and holds no secret).
FIELDS = {
    "storage": Field(""), "algorithm": Field("greedy", choices=SEARCH_ALGORITHMS),
    "energy": Field(False),
    "model": Field(SearchSpec.model, choices=MODELS),
    "neuron": Field(SEARCHED, choices=(SEARCHED, *NEURONS)),
    "reset": Field(SEARCHED, choices=(SEARCHED, *RESETS)),
    "dataset": Field(SearchSpec.dataset, choices=dataset_names("nas")),
    "preset": Field(SearchSpec.preset, choices=tuple(PRESETS)), "trials": Field(10, 1, 500),
    "seed": Field(0, 0, 2**31 - 1), "study_name": Field(""), "live": Field(True),
    "x_axis": Field("trial", choices=("trial", "seconds")), "studies": Field([], many=True),
    "data_path": Field(""), **FRONT_FIELDS,
}


def default_url() -> str:
    """The default study storage (the run store's NAS database)."""
    from core.store.studies import NAS_DB, default_storage

    return default_storage(NAS_DB)


def box() -> StorageBox:
    """The study-storage box: a linked storage waits for Open study; passwords masked."""
    return StorageBox(P, default_url())


def init_state() -> None:
    """The page's settings from its link (or their defaults), once per session."""
    s = st.session_state
    from_link = P + "storage" not in s and bool(st.query_params.get("storage"))
    restore(P, FIELDS, notice=False)
    s.setdefault(P + "download", False)
    if not s[P + "storage"]:
        s[P + "storage"] = default_url()
    box().init(from_link)
    if JOB not in s:
        s[JOB] = None
    init_retrain_state()


def jobs_running() -> bool:
    """Whether the search or the full-scale retraining of this session is running."""
    return running(JOB) or retrain_running()


@st.cache_resource(show_spinner=False)
def storage_for(url: str):
    """One Optuna storage per URL for this server (opening one costs about a second); only
    for a storage that exists: reading creates nothing, and a missing one is not cached."""
    storage = existing_storage(url)
    if storage is None:
        raise ValueError(f"No study is stored at {shown(url)} yet.")
    return storage


def storage_panel() -> None:
    """The storage box and its Open button."""
    st.text_input("Study storage (Optuna URL or SQLite file)", key=P + "storage",
                  on_change=box().edited,
                  help="sqlite:///path.db, a file path, or postgresql://user@host/db shared "
                       "by workers: python -m core nas-worker --study NAME --storage URL")
    st.button("Open study", key=P + "open", on_click=box().open,
              disabled=not box().waiting(), help="read the studies at this storage")
    if box().opened is None:
        st.info(f"This link names the study storage {md(shown(box().entered()))}: nothing is read "
                "from it until you press **Open study**.", icon=":material/lock:")


def equations() -> None:
    """Draw the neurons' equations and the presets' recipes, folded."""
    with st.expander("Neurons and training", icon=":material/function:"):
        st.markdown(
            "Each conv layer is conv → batch norm → neuron; the image is fed for T = 4 steps "
            "and the logits are averaged over time. LIF (IF is β = 1), exactly snnTorch's "
            "`Leaky` with its delayed reset:"
        )
        st.latex(r"U[t] = \beta U[t-1] + I[t] - R[t],\quad S[t] = H(U[t] - \theta)")
        st.latex(r"R[t] = \theta S[t-1]\ \text{(soft)}\qquad R[t] = \beta U[t-1] S[t-1]"
                 r"\ \text{(hard)}")
        st.markdown(
            "Surrogate gradient: fast sigmoid. **small** preset: 4 layers, filters ≤ 64, "
            "2 epochs of Adam on the digits (seconds a trial). **study** preset: 9 layers, "
            "filters 16–512, Adam lr 0.1, 5 warm-up epochs then cosine decay, 200 epochs, "
            "CIFAR-10 — for a GPU cluster via `python -m core nas-worker`. **fashion-full** "
            "/ **mnist-full**: 28×28 images, 6,000 of them, 2 epochs (about a minute a "
            "trial); the best architectures are then retrained at full scale below "
            "(`python -m core nas-retrain`)."
        )


def launch_form() -> None:
    """Draw the search's settings and its job panel (Start, Stop, progress)."""
    s = st.session_state
    st.subheader("Launch a search")
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox("Algorithm", SEARCH_ALGORITHMS, key=P + "algorithm",
                 format_func=ALGORITHM_TITLES.get,
                 help="Greedy climbs accuracy alone; NSGA-II searches accuracy and energy")
    c2.selectbox("Model", MODELS, key=P + "model",
                 format_func=lambda m: "SNN" if m == "snn" else "DNN baseline (ReLU)")
    dnn = s[P + "model"] == "dnn"
    c3.selectbox("Neuron", (SEARCHED, *NEURONS), key=P + "neuron", disabled=dnn)
    c4.selectbox("Reset", (SEARCHED, *RESETS), key=P + "reset", disabled=dnn)
    c1.selectbox("Data", dataset_names("nas"), key=P + "dataset")
    c2.selectbox("Preset", sorted(PRESETS, key=lambda n: PRESETS[n].epochs), key=P + "preset",
                 help="the training recipe of every trial, quickest first")
    c3.number_input("Trials", 1, 500, key=P + "trials")
    c4.number_input("Seed", 0, 2**31 - 1, key=P + "seed")
    c1.text_input("Study name", key=P + "study_name", placeholder="from the settings")
    c2.checkbox("Download data if missing", key=P + "download")
    c4.checkbox("Accuracy and energy", key=P + "energy",
                help="also minimise energy per frame, priced from each trial's measured "
                     "spikes by the operation-count model (Random, Bayesian or NSGA-II)")
    c3.text_input("Data path (optional)", key=P + "data_path",
                  help="A local copy of the data set (Fashion-MNIST: the folder of its four "
                       "gzip'd IDX files). Empty: the cache.")
    search_panel()


def search_panel() -> None:
    """The search's Start and Stop, its progress line and how it ended."""
    job = current(JOB)
    label = f"Study **{md(job.name)}**" if job is not None else ""
    panel = JobPanel(JOB, P + "stop", failed="The search failed", label=label, keep=True)
    job_panel(panel, [Start("Start", P + "start", start_job)],
              done=lambda snap: ended_line(snap, label), widths=(1, 1, 4))


def start_job() -> Job:
    """Start the configured search in the background; an impossible one raises
    ``ValueError`` (the panel shows its one line)."""
    from core.store import RunStore

    s = st.session_state
    dnn = s[P + "model"] == "dnn"
    spec = SearchSpec(
        s[P + "algorithm"], s[P + "dataset"], s[P + "model"],
        None if dnn or s[P + "neuron"] == SEARCHED else s[P + "neuron"],
        None if dnn or s[P + "reset"] == SEARCHED else s[P + "reset"],
        s[P + "preset"],
        objectives=("accuracy", "energy") if s[P + "energy"] else ("accuracy",),
    )
    store = RunStore()
    url = check_storage(box().entered())  # refused here before anything is created
    name = s[P + "study_name"].strip() or spec.default_name
    box().open(url)
    job = Job(search, url, name, spec, Budget(trials=int(s[P + "trials"])),
              seed=int(s[P + "seed"]), store_path=str(store.path),
              data_path=s[P + "data_path"].strip() or None,
              download=bool(s[P + "download"]), name=name)
    if name not in s[P + "studies"]:
        s[P + "studies"] = [*s[P + "studies"], name]
    return job


def load_records(url: str, names: list[str]) -> list[TrialRecord]:
    """The trials of the studies ``names`` at ``url`` (an unreadable one is named)."""
    if not names:
        return []
    storage = storage_for(url)
    records: list[TrialRecord] = []
    for name in names:
        try:
            records += study_records(open_study(storage, name)[0])
        except ValueError as exc:
            st.warning(md(exc), icon=":material/warning:")
    return records


def available_studies(url: str) -> list[str] | None:
    """The NAS studies at ``url`` (empty when its SQLite file is not there yet); None, with
    the reason shown, when it is refused or unreadable."""
    try:
        if not storage_exists(check_storage(url)):
            return []
        return [row["study"] for row in list_studies(storage_for(url))]
    except ValueError as exc:
        st.error(f"{md(exc)} Check the storage URL above.", icon=":material/error:")
        return None


def views() -> None:
    """Draw the studies chosen: their tables, figures, fronts, designs and retraining."""
    s = st.session_state
    url = box().opened
    if url is None:
        return
    available = available_studies(url)
    if available is None:
        return
    gone = [n for n in s[P + "studies"] if n not in available]
    if gone:
        add_note(f"no study {', '.join(md(repr(n)) for n in gone)} at this storage URL")
        show_notes()
    s[P + "studies"] = [n for n in s[P + "studies"] if n in available]
    if not s[P + "studies"]:
        s[P + "studies"] = available[-4:]
    st.multiselect("Studies to show", available, key=P + "studies")
    records = load_records(url, s[P + "studies"])
    if not any(r.complete for r in records):
        st.info("No finished trial yet: launch a search above, or pick a study.",
                icon=":material/info:")
        return
    full = full_scale_rows(retrained(), list(s[P + "studies"]))
    render(records, full)
    front_panel(storage_for(url), list(s[P + "studies"]))
    design_panel(storage_for(url), list(s[P + "studies"]))
    retrain_panel(url, list(s[P + "studies"]), full)


def render(records: list[TrialRecord], full: list[dict] | None = None) -> None:
    """Draw the finished trials: metrics, tables, spike and best-so-far figures."""
    done = [r for r in records if r.complete]
    best = max(done, key=lambda r: r.val_accuracy or 0.0)
    m = st.columns(4)
    m[0].metric("Finished trials", len(done))
    m[1].metric("Running", sum(r.state == "RUNNING" for r in records))
    m[2].metric("Failed", sum(r.state == "FAIL" for r in records))
    m[3].metric("Best val accuracy", f"{best.val_accuracy:.3f}", help=md(best.label))
    st.subheader("Searched architectures: the best of each condition and algorithm "
                 "(filters kernel per layer)")
    rows = condition_rows(architecture_table(done), full or [])
    table(pd.DataFrame(rows).round(3), "architectures", P + "arch_table")
    st.caption("proxy_accuracy: the search's validation accuracy; full_val_accuracy and "
               "full_test_accuracy: the condition's best architecture retrained at full scale "
               "on the data set it was searched on (below), empty until one is.")
    st.subheader("Averages per algorithm")
    table(pd.DataFrame(algorithm_averages(done)).round(3), "algorithms", P + "averages")
    left, right = st.columns(2)
    chart(spikes_figure(spike_points(done)), P + "spikes_fig", left)
    corr = spike_accuracy_correlation(done)
    if corr is not None:
        left.caption(f"Pearson correlation of spikes and validation accuracy: {corr:+.2f} "
                     "(the study found more spikes went with higher accuracy).")
    right.radio("Best so far against", ("trial", "seconds"), key=P + "x_axis", horizontal=True)
    chart(progress_figure(best_so_far(done), st.session_state[P + "x_axis"]), P + "progress_fig",
          right)
    st.subheader("IF vs LIF and hard vs soft reset")
    c1, c2 = st.columns(2)
    with c1:
        table(pd.DataFrame(factor_comparison(done, "neuron")).round(3), "neurons", P + "neurons")
    with c2:
        table(pd.DataFrame(factor_comparison(done, "reset")).round(3), "resets", P + "resets")
    with st.expander("All trials"):
        table(pd.DataFrame([r.to_json() for r in records]), "trials", P + "trials_table")
        st.caption("Finished trials are in the run store (kind \"nas\"): the hardware page "
                   "can map one by its run id.")


def table(frame: pd.DataFrame, name: str, key: str) -> None:
    """A table and its CSV download."""
    st.dataframe(frame, hide_index=True, key=key)
    csv_button(frame, f"nas_{name}", key + "_csv", label="Download CSV")


def main() -> None:
    """Draw the architecture search page: storage, search job and the studies' views."""
    init_state()
    st.title("Neural architecture search")
    show_notes()
    st.caption("Random, Greedy (hill climbing) and Bayesian (TPE) search over deep conv SNNs "
               "with IF/LIF neurons and hard/soft reset, and a ReLU DNN baseline; for accuracy "
               "and energy per frame at once, Random, Bayesian (multi-objective TPE) and "
               "NSGA-II.")
    storage_panel()
    equations()
    launch_form()
    live = st.toggle("Refresh live", key=P + "live")
    active = jobs_running()
    every = 5.0 if live or active else None  # the studies refresh; each job polls itself
    if not active:
        st.caption("Nothing trains until you press **Start**; the small preset trains a trial "
                   "in seconds on the digits.")
    st.fragment(views, run_every=every)()
    publish(P, box().link_fields(FIELDS))


run_page(main)
