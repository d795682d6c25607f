"""The one job panel: how every page runs long work in a worker process (``core.jobs.Job``).

``job_panel(panel, starts)`` draws the page's start button(s) beside one Stop button, then:

- a start that cannot run (its ``launch`` raises ``ValueError``) as one line;
- while the job runs, its progress line and bar (``core.progress.progress_line``) and what the
  page draws from the same snapshot (``live``), in a fragment that polls every
  ``POLL_SECONDS`` only while the job runs;
- when it ends, the page's ``done(snapshot)`` (which keeps the result and may return a line to
  show), a failure as one line (never a traceback), and one rerun of the page.

The running job lives in ``st.session_state[panel.key]``. A page whose finished job stays on
show (``keep``) finds it there afterwards too, with its last line, until the next start; other
pages find the key gone and the last line shown once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from app.text import md
from core.jobs import POLL_SECONDS, Job, JobSnapshot
from core.progress import progress_line

#: A line for the page: (``"success"``, ``"info"``, ``"warning"`` or ``"error"``, Markdown).
Said = tuple[str, str]
STOP_HELP = "Stop at the next check; what was done so far is kept."


@dataclass(frozen=True)
class Start:
    """One start button: its label and key, and ``launch``, which starts the job and returns
    it (or raises ``ValueError`` with a sentence saying what to change)."""

    label: str
    key: str
    launch: Callable[[], Job]
    disabled: bool = False  # the page's own reason (a setting it refused)
    primary: bool = True
    icon: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class JobPanel:
    """Where a page keeps its job and how the panel names it."""

    key: str  # the session-state key of the job
    stop_key: str  # the Stop button's key
    failed: str = "The job failed"  # the failure line's first words
    label: str = ""  # names the work in its progress line (Markdown, escaped by the page)
    keep: bool = False  # the finished job and its last line stay until the next start
    hint: str | Callable[[str], str] = ""  # after a failure line: what to do (from its error)
    stop_label: str = "Stop"


def current(key: str) -> Job | None:
    """The job a page keeps under ``key``, running or (``keep``) finished; None if none."""
    job = st.session_state.get(key)
    return job if isinstance(job, Job) else None


def running(key: str) -> bool:
    """Whether the job under ``key`` has not been handed back yet (it runs, or it ended since
    the last poll): the page's start buttons stay off meanwhile."""
    job = current(key)
    return job is not None and _ended(key)[0] is not job


def _ended(key: str) -> tuple[Job | None, Said | None]:
    """The last finished job handed back under ``key`` (kept pages) and its last line."""
    return st.session_state.get(key + "_ended", (None, None))


def failure_line(panel: JobPanel, error: str | None) -> str:
    """A failed job's one line: the panel's first words, the reason, and the hint."""
    reason = (error or "unknown error").rstrip(".")
    hint = panel.hint(reason) if callable(panel.hint) else panel.hint
    return f"{panel.failed}: {md(reason, 600)}." + (f" {hint}" if hint else "")


def ended_line(snap: JobSnapshot, label: str = "") -> Said:
    """A finished job's last progress line with how it ended: "Study x - 3 of 3 trials (done,
    12 s)"; for pages whose ``done`` has nothing more to say."""
    text = progress_line(snap.progress, label)[1]
    return ("success" if snap.state == "done" else "info",
            f"{text} ({snap.state}, {snap.seconds:.0f} s)")


def job_panel(panel: JobPanel, starts: Sequence[Start], *,
              live: Callable[[JobSnapshot], None] | None = None,
              done: Callable[[JobSnapshot], Said | None] | None = None,
              widths: Sequence[float] | None = None) -> None:
    """Draw the start buttons and Stop, the last line, and the polled progress of the job."""
    busy = running(panel.key)
    cols = st.columns(widths or [1] * (len(starts) + 1))
    for col, start in zip(cols, starts, strict=False):
        if col.button(start.label, key=start.key, disabled=busy or start.disabled,
                      type="primary" if start.primary else "secondary", icon=start.icon,
                      help=start.help):
            _launch(panel, start)
    job = current(panel.key)
    cols[len(starts)].button(panel.stop_label, key=panel.stop_key, disabled=not busy or job is None
                             or job.stopping, on_click=job.stop if busy and job else None,
                             icon=":material/stop:", help=STOP_HELP)
    _say(panel)
    st.fragment(_poll, run_every=POLL_SECONDS if busy else None)(panel, live, done)


def _launch(panel: JobPanel, start: Start) -> None:
    """Start the job (or show why not, in one line) and redraw the page for a running job."""
    s = st.session_state
    try:
        job = start.launch()
    except ValueError as exc:
        s[panel.key + "_said"] = ("error", md(exc, 600))
        return
    s[panel.key] = job
    s.pop(panel.key + "_ended", None)
    s.pop(panel.key + "_said", None)
    st.rerun()  # the buttons drawn before the start now show a running job


def _say(panel: JobPanel) -> None:
    """The last line: once for a start refused or a job handed back, always for a kept one."""
    said = st.session_state.pop(panel.key + "_said", None)
    job, kept = _ended(panel.key)
    if said is None and job is not None and job is current(panel.key):
        said = kept
    if said is not None:
        kind, text = said
        getattr(st, kind)(text)


def _poll(panel: JobPanel, live: Callable[[JobSnapshot], None] | None,
          done: Callable[[JobSnapshot], Said | None] | None) -> None:
    """The running job's progress and ``live`` part; when it has ended, hand it back once."""
    job = current(panel.key)
    if job is None or not running(panel.key):
        return
    snap = job.snapshot()
    if not snap.finished:
        fraction, text = progress_line(snap.progress, panel.label, snap.seconds)
        st.progress(fraction, text=text)
        if live is not None:
            live(snap)
        return
    said = done(snap) if done is not None else None
    if snap.state == "failed":
        said = ("error", failure_line(panel, snap.error))
    s = st.session_state
    if panel.keep:
        s[panel.key + "_ended"] = (job, said)
    else:
        s.pop(panel.key, None)
        if said is not None:
            s[panel.key + "_said"] = said
    st.rerun(scope="app")
