"""The one job panel (``app.job_view``, issue 26): start, progress line and bar, Stop, a failure
as one line, and the result handed back to the page once, with real worker jobs."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from core.progress import Count, Step


def count_until_stopped(*, stop, report) -> int:
    """Count until asked to stop, reporting a labelled step each time."""
    n = 0
    while not stop.is_set() and n < 100_000:
        n += 1
        report(Step("counting", Count(n, 100_000, "steps")))
        time.sleep(0.01)
    return n


def answer(*, stop, report) -> int:
    """Report one item and return at once."""
    report(Count(1, 1, "answers"))
    return 42


def broken(*, stop, report) -> None:
    """Fail the way a job with a user's mistake fails: a message over two lines."""
    raise ValueError("The data set is missing.\nGive its path.")


def page() -> None:
    """A page with one job panel: which work runs and whether it is kept come from state."""
    import streamlit as st

    from app.job_view import JobPanel, Start, job_panel, running
    from core.jobs import Job
    from tests import test_job_view as works

    s = st.session_state
    s.setdefault("handed", [])
    work = getattr(works, s.get("work", "count_until_stopped"))

    def done(snap):
        s["handed"].append((snap.state, snap.result))
        return "success", f"Handed back: {snap.result}"

    def refuse():
        raise ValueError("Pick a *smaller* number first.")

    job_panel(JobPanel("t_job", "t_stop", failed="The test job failed", label="Test",
                      keep=bool(s.get("keep")), hint="Try again."),
              [Start("Go", "t_go", lambda: Job(work, name="test")),
               Start("Refuse", "t_refuse", refuse, primary=False)], done=done)
    st.caption(f"running: {running('t_job')}")


def app(work: str, keep: bool = False) -> AppTest:
    at = AppTest.from_function(page, default_timeout=60)
    at.session_state["work"] = work
    at.session_state["keep"] = keep
    return at.run()


def until(at: AppTest, check, limit: float = 60.0) -> AppTest:
    """Rerun the page until ``check(at)`` holds (the job runs in another process)."""
    deadline = time.monotonic() + limit
    while not check(at) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert check(at), "the page never reached the state waited for"
    return at


def test_start_progress_stop_and_the_result_handed_back_once() -> None:
    at = app("count_until_stopped")
    assert not at.exception and at.button(key="t_stop").disabled
    assert not at.get("progress")  # nothing runs: no bar, no polling
    at.button(key="t_go").click().run()
    job = at.session_state["t_job"]
    assert at.button(key="t_go").disabled and not at.button(key="t_stop").disabled
    until(at, lambda a: a.get("progress") and "counting - " in a.get("progress")[0].proto.text)
    text = at.get("progress")[0].proto.text
    assert text.startswith("Test: counting - ") and " of 100000 steps (" in text
    at.button(key="t_stop").click().run()
    assert job.stopping
    until(at, lambda a: "t_job" not in a.session_state)
    assert not at.exception
    (state, result), = at.session_state["handed"]
    assert state == "stopped" and result == job.snapshot().result > 0
    assert [s.value for s in at.success] == [f"Handed back: {result}"]
    at.run()  # the line was shown once; the page is back to its start
    assert not at.success and len(at.session_state["handed"]) == 1
    assert not at.button(key="t_go").disabled and at.button(key="t_stop").disabled
    assert at.caption[0].value == "running: False"


def test_a_failure_is_one_line_with_the_hint() -> None:
    at = app("broken")
    at.button(key="t_go").click().run()
    until(at, lambda a: "t_job" not in a.session_state)
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error == ("The test job failed: The data set is missing\\. Give its path. "
                     "Try again.")
    assert at.session_state["handed"] == [("failed", None)]


def test_a_kept_job_stays_with_its_last_line_until_the_next_start() -> None:
    at = app("answer", keep=True)
    at.button(key="t_go").click().run()
    job = at.session_state["t_job"]
    until(at, lambda a: a.session_state["handed"])
    assert at.session_state["t_job"] is job and job.snapshot().state == "done"
    for _ in range(2):  # handed back once, its line shown on every run
        at.run()
        assert [s.value for s in at.success] == ["Handed back: 42"]
        assert at.session_state["handed"] == [("done", 42)]
        assert not at.button(key="t_go").disabled and at.caption[0].value == "running: False"
    at.button(key="t_go").click().run()  # a new start clears the last line
    assert at.session_state["t_job"] is not job and not at.success
    until(at, lambda a: len(a.session_state["handed"]) == 2)


def test_a_refused_start_is_one_line_and_starts_nothing() -> None:
    at = app("answer")
    at.button(key="t_refuse").click().run()
    assert not at.exception and "t_job" not in at.session_state
    (error,) = [e.value for e in at.error]
    assert error == "Pick a \\*smaller\\* number first\\."  # escaped: shown as typed
    at.run()
    assert not at.error  # said once
