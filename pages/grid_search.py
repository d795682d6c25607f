"""Grid search of hidden size, time steps, surrogate scale and regulariser (Optuna GridSampler).

A storage named by a link is shown (its password masked) but not read until **Open study** is
pressed: opening one creates a SQLite file or connects to a server. The default storage is
read on opening the page only when its file is there; launching a search creates it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.charts import chart, csv_button
from app.figures.grid_search import LABELS, per_value_figure
from app.job_view import JobPanel, Start, job_panel, running
from app.page import run_page
from app.storage_box import StorageBox
from app.text import md
from app.url_state import Field, add_note, publish, restore, show_notes
from core.data import DataUnavailable
from core.data.registry import DATASET_INFO
from core.jobs import Job, JobSnapshot
from core.search.grid import (
    DEFAULT_GRID,
    PARAMS,
    SweepSummary,
    default_storage,
    list_studies,
    load_summary,
    parse_grid,
)
from core.search.work import sweep
from core.store import default_db_path
from core.store.studies import check_storage, shown
from core.training import DEFAULTS, TrainConfig, default_config

P = "gs_"
JOB = P + "job"
BOX = StorageBox(P, default_storage())  # the storage URL typed, masked, and read
FIXED = {"epochs": (1, 1000), "batch_size": (1, 4096), "max_train": (0, 10**6)}
CHECK = "Check the data path, the storage URL, or pick digits to work offline."
PANEL = JobPanel(JOB, P + "stop", failed="The search failed",
                 hint="Check the data path, the storage URL, or pick **digits** to work offline.")


# The page's settings in its URL; a storage URL with a secret never goes into a link.
FIELDS = {
    "dataset": Field("digits", choices=tuple(DEFAULTS)), "data_path": Field(""),
    **{f"grid_{k}": Field(",".join(f"{v:g}" for v in DEFAULT_GRID[k])) for k in PARAMS},
    **{name: Field(default, lo, hi) for name, (default, lo, hi) in
       {"epochs": (5, 1, 1000), "batch_size": (128, 1, 4096), "max_train": (0, 0, 10**6)}.items()},
    "study": Field("grid"), "storage": Field(default_storage()), "reopen": Field(None, kind=str),
}


def init_state() -> None:
    """The page's settings from its link (or their defaults), once per session."""
    s = st.session_state
    from_link = P + "storage" not in s and bool(st.query_params.get("storage"))
    restore(P, FIELDS, notice=False)
    if P + "download" not in s:
        s[P + "download"] = False
    BOX.init(from_link)


def controls() -> tuple[TrainConfig, dict] | None:
    """Draw the sidebar (data, grid, fixed settings, study) and return the base
    configuration and grid, or None with the reason shown."""
    s = st.session_state
    with st.sidebar:
        st.header("Data")
        st.selectbox("Data set", tuple(DEFAULTS), key=P + "dataset",
                     format_func=lambda n: DATASET_INFO[n].title)
        if not DATASET_INFO[s[P + "dataset"]].offline:
            st.text_input("Data path (optional)", key=P + "data_path")
            st.toggle("Allow downloads", key=P + "download")
        st.header("Grid (values separated by commas)")
        for name in PARAMS:
            st.text_input(LABELS[name].capitalize(), key=P + f"grid_{name}")
        st.header("Fixed for every point")
        st.caption("Other parameters: the data set's literature defaults.")
        for name, (lo, hi) in FIXED.items():
            label = "Training samples (0 = all)" if name == "max_train" else name.replace(
                "_", " ").capitalize()
            st.number_input(label, lo, hi, key=P + name)
        st.header("Study")
        st.text_input("Study name", key=P + "study", help="An existing study resumes.")
        st.text_input("Storage URL", key=P + "storage", on_change=BOX.edited,
                      help="sqlite:///file.db, or a PostgreSQL URL shared by several machines.")
        st.button("Open study", key=P + "open", on_click=BOX.open,
                  disabled=not BOX.waiting(), help="read the studies at this storage")
    try:
        grid = parse_grid([f"{k}={s[P + f'grid_{k}']}" for k in PARAMS])
        base = default_config(s[P + "dataset"], epochs=int(s[P + "epochs"]),
                              batch_size=int(s[P + "batch_size"]),
                              max_train=int(s[P + "max_train"]) or None)
    except ValueError as exc:
        st.error(f"{md(exc)} Change it in the sidebar.")
        return None
    return base, grid


@st.cache_data(ttl=2, show_spinner=False)
def summary_of(study: str, storage: str) -> SweepSummary:
    """The study's summary, read at most every 2 s."""
    return load_summary(study, storage)


def show_summary(summary: SweepSummary, tag: str) -> None:
    """Draw a study's counts, best point, table of points and per-value figure."""
    c = st.columns(3)
    c[0].metric("Points done", f"{summary.done}/{summary.total}")
    c[1].metric("Running or abandoned", summary.running,
                help="A point whose process was killed stays here until it is trained again.")
    if summary.best is not None:
        best = summary.best
        c[2].metric("Best test accuracy", f"{best.test_accuracy:.3f}")
        st.markdown("**Best combination:** " + ", ".join(
            f"{LABELS[k]} = {md(f'{v:g}')}" for k, v in best.params.items())
            + f" (train accuracy {best.train_accuracy:.3f}, {best.seconds:.1f} s, run "
            f"{md(best.run_id)})")
    if not summary.points:
        st.info("No finished points yet.")
        return
    table = pd.DataFrame([{**p.params, "test acc": p.test_accuracy,
                           "train acc": p.train_accuracy, "seconds": p.seconds,
                           "spikes/sample": p.spikes_per_sample, "run": p.run_id,
                           "trial": p.trial} for p in summary.points])
    st.dataframe(table.sort_values("test acc", ascending=False), hide_index=True,
                 key=P + f"points_{tag}")
    csv_button(table, f"grid_{tag}", P + f"csv_{tag}", label="Download points (CSV)")
    chart(per_value_figure(summary), P + f"per_value_{tag}")


def summary_view(study: str, storage: str | None, busy: bool) -> None:
    """The study's points so far (refreshed with every poll while the search runs)."""
    if storage is None:
        return
    try:
        show_summary(summary_of(study, storage), "live")
    except ValueError:
        if not busy:
            st.info("Launch the search to create this study.")


def launch(chosen: tuple[TrainConfig, dict] | None) -> Job:
    """Start the search on the storage in the box, checked before anything is created."""
    s = st.session_state
    if chosen is None:
        raise ValueError("Fix the grid in the sidebar first.")
    try:
        url = check_storage(BOX.entered())
    except ValueError as exc:
        raise ValueError(f"{exc} {CHECK}") from None
    base, grid = chosen
    BOX.open(url)
    return Job(sweep, base, grid, s[P + "study"], url, str(default_db_path()),
               s[P + "data_path"].strip() or None, bool(s[P + "download"]), name="grid-search")


def finished(snap: JobSnapshot) -> None:
    """The search ended: the study's summary is read afresh."""
    summary_of.clear()


def main() -> None:
    """Draw the grid search page: the grid, the search's job, its points and earlier ones."""
    st.title("Grid search")
    st.caption("The four parameters of the surrogate-gradient thesis over a grid, run through "
               "Optuna's GridSampler: an interrupted search resumes, several processes can "
               "share one study, every point is also a saved training run.")
    init_state()
    s = st.session_state
    notices = st.container()
    chosen = controls()
    study, storage = s[P + "study"], BOX.opened
    st.subheader(f"Study {md(repr(study))}")
    if storage is None:
        st.info(f"This link names the study storage {md(shown(BOX.entered()))}: nothing is read "
                "from it until you press **Open study** in the sidebar.", icon=":material/lock:")
    job_panel(PANEL, [Start("Launch / resume the search", P + "launch",
                            lambda: launch(chosen), disabled=chosen is None)],
              live=lambda snap: summary_view(study, storage, True), done=finished,
              widths=(2, 1, 3))
    if not running(JOB):
        st.caption("Nothing trains until you press **Launch / resume the search**.")
        summary_view(study, storage, False)
    if storage is not None:
        earlier(study, storage)
    publish(P, BOX.link_fields(FIELDS))
    with notices:
        show_notes()


def earlier(study: str, storage: str) -> None:
    """The other studies at this storage URL, one of them reopened."""
    s = st.session_state
    st.subheader("Earlier searches")
    try:
        names = list_studies(storage)
    except ValueError as exc:
        st.error(f"{md(exc)} Fix the storage URL in the sidebar.")
        return
    if not names:
        st.info("No searches stored at this URL yet.")
        return
    others = [n for n in names if n != study]
    if not others:
        st.info("No other searches stored at this URL.")
        return
    if s[P + "reopen"] not in others:
        if s[P + "reopen"] is not None:
            add_note(f"study {md(repr(s[P + 'reopen']))} is not stored at this URL")
        s[P + "reopen"] = others[0]
    pick = st.selectbox("Reopen", others, key=P + "reopen")
    try:
        show_summary(load_summary(pick, storage), "reopened")
    except (ValueError, DataUnavailable) as exc:
        st.error(f"{md(exc)} Pick another study.")


run_page(main)
