"""Issue 25: a job whose browser tab closed ran on with nobody to stop it. Every page's sidebar
lists the server's running jobs, every session's, and any session can stop one."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from app.jobs_panel import progress_text
from core.jobs import Job, running_jobs
from core.progress import Count, Progress, Step


def count_until_stopped(*, stop, report) -> int:
    n = 0
    while not stop.is_set() and n < 100_000:
        n += 1
        report(Count(n, None, "steps"))
        time.sleep(0.01)
    return n


def panel() -> None:
    from app.jobs_panel import jobs_panel

    jobs_panel()


def test_another_session_s_job_is_listed_and_can_be_stopped() -> None:
    before = len(running_jobs())  # jobs other tests left running, if any
    if not before:
        empty = AppTest.from_function(panel, default_timeout=30).run()
        assert not empty.sidebar.subheader and not empty.sidebar.button  # none runs: no panel
    job = Job(count_until_stopped, name="orphan *run*")  # started by a tab now closed
    try:
        at = AppTest.from_function(panel, default_timeout=30).run()
        assert not at.exception
        assert at.sidebar.subheader[0].value == f"Running on this server ({before + 1})"
        (line,) = [c.value for c in at.sidebar.caption if "orphan" in c.value]
        assert "**orphan \\*run\\*** (another tab, perhaps closed)" in line
        at.button(key=f"app_jobs_stop_{id(job)}").click().run()
        assert job.join(30)
        assert job.snapshot().state == "stopped"
        assert job not in running_jobs()
    finally:
        job.stop()
        job.join(30)


def test_progress_text_reads_every_kind_of_report() -> None:
    from core.relpsp.work import RunsProgress

    assert progress_text(Step("batch 64: round 2/5", Count(3, 7, "parts"))) == (
        "batch 64: round 2/5 - 3 of 7 parts")
    p = Progress(2, 5, 3, 10, 0.5, ())
    assert progress_text(p).startswith("epoch 2/5, batch 3/10")
    runs = RunsProgress(1, 2, "alpha", p, (7,))  # a multi-run job's report: a Step and more
    assert progress_text(runs) == "alpha-PSP (2/2) - " + progress_text(p)
    loading = RunsProgress(0, 1, "relpsp", None, ())
    assert progress_text(loading) == "ReL-PSP (1/1) - loading data ..."
    final = RunsProgress(0, 1, "relpsp", p, (), "final pass: accuracy on the 10 test images")
    assert progress_text(final) == "ReL-PSP (1/1) - final pass: accuracy on the 10 test images"
    assert final.progress is p  # the page's live curves keep the last batch's history
    assert progress_text(Step("point 1: hidden 4")) == "point 1: hidden 4"
    assert progress_text("loading data") == "loading data"
    assert progress_text(None) == "running" and progress_text(object()) == "running"
    assert progress_text(("a bare tuple", None)) == "running"  # no second shape any more
