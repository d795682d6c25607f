"""The server's running jobs, in every page's sidebar, each with a Stop button.

A job belongs to the browser tab that started it: its page polls it and offers Stop. When that
tab is closed the job runs on with nobody to stop it, holding a CPU and one of the server's
``max_jobs`` places. This panel lists every session's running jobs (``core.jobs.running_jobs``)
so any visitor can see what occupies the server and stop a job; a stopped job keeps what it did
up to its last check, as the page's own Stop keeps it. It polls only while a job runs. Job
names can hold a visitor's text (a study's name): they are escaped (``app.text.md``).
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from app.text import md
from core.jobs import POLL_SECONDS, Job, running_jobs
from core.progress import progress_line, understood

KEY = "app_jobs_"
#: How often the panel redraws while a job runs: its lines are a glance, not a live view.
PANEL_EVERY = 5 * POLL_SECONDS


def progress_text(item: Any) -> str:
    """A job's last report in a few words (``core.progress.progress_line``), whatever the kind
    of job that sent it; "running" before it has reported anything readable."""
    return progress_line(item)[1] if understood(item) else "running"


def owned(job: Job) -> bool:
    """Whether this browser session started ``job`` (a page keeps it in session state)."""
    return any(value is job for value in st.session_state.values())


def describe(job: Job, mine: bool) -> str:
    """One line: the job's name, who started it, how long it has run and how far it is."""
    snap = job.snapshot()
    whose = "this tab" if mine else "another tab, perhaps closed"
    state = "stopping" if job.stopping else progress_text(snap.progress)
    started = time.strftime("%H:%M", time.localtime(job.started))
    return (f"**{md(snap.name, 80)}** ({whose}), since {started}, {snap.seconds:.0f} s: "
            f"{md(state, 200)}")


def _panel() -> None:
    """Draw each running job's line and its Stop button, under a heading that counts them."""
    jobs = running_jobs()
    if not jobs:
        return
    st.subheader(f"Running on this server ({len(jobs)})")
    for job in jobs:
        st.caption(describe(job, owned(job)))
        st.button("Stop", key=f"{KEY}stop_{id(job)}", on_click=job.stop,
                  disabled=job.stopping, help="Stop this job at its next check; what it has "
                  "done so far is kept.")


def jobs_panel() -> None:
    """The running jobs of every session, in the sidebar (nothing when none runs)."""
    with st.sidebar:
        st.fragment(_panel, run_every=PANEL_EVERY if running_jobs() else None)()
