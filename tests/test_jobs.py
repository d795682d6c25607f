"""One job type (``core.jobs``): a worker process with progress, stop, result and failures."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from core.jobs import STATES, Job, failure_message
from core.progress import Count, Progress, Step, progress_line, understood


def wait_for_file(path: str, *, stop, report) -> str:
    report(1)
    deadline = time.monotonic() + 30
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    report(2)
    return "result"


def count_until_stopped(limit: int, *, stop, report) -> int:
    n = 0
    while not stop.is_set() and n < limit:
        n += 1
        report(n)
        time.sleep(0.001)
    return n


def raise_error(error: Exception, *, stop, report) -> None:
    raise error


def die(*, stop, report) -> None:
    report("about to die")
    os.kill(os.getpid(), signal.SIGKILL)


def environment(name: str, *, stop, report) -> tuple[str | None, str]:
    return os.environ.get(name), os.getcwd()


def unpicklable(*, stop, report):
    return lambda: None


def pid(*, stop, report) -> int:
    return os.getpid()


def finished(job: Job):
    assert job.join(60), "the job did not end"
    snap = job.snapshot()
    assert snap.finished and snap.state in STATES
    return snap


def test_progress_and_result_come_back(tmp_path):
    gate = tmp_path / "go"
    job = Job(wait_for_file, str(gate), name="t")
    deadline = time.monotonic() + 30
    while job.snapshot().progress != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    snap = job.snapshot()
    assert (snap.name, snap.state, snap.progress, snap.finished) == ("t", "running", 1, False)
    gate.touch()
    snap = finished(job)
    assert (snap.state, snap.progress, snap.result, snap.error) == ("done", 2, "result", None)
    assert snap.seconds > 0 and job.finished


def test_stop_keeps_the_result_and_runs_in_another_process():
    assert finished(Job(pid)).result != os.getpid()
    job = Job(count_until_stopped, 10**7)
    deadline = time.monotonic() + 30
    while not job.snapshot().progress and time.monotonic() < deadline:
        time.sleep(0.01)
    job.stop()
    snap = finished(job)
    assert snap.state == "stopped" and 0 < snap.result < 10**7


@pytest.mark.parametrize(("error", "message"), [
    (ValueError("no data here"), "no data here"),
    (FileNotFoundError("missing.pkl"), "missing.pkl"),
    (KeyError("x"), "unexpected KeyError: 'x'"),
    (RuntimeError("two\nlines"), "unexpected RuntimeError: two lines"),
])
def test_failures_become_one_line(error, message):
    assert failure_message(error) == message
    snap = finished(Job(raise_error, error))
    assert (snap.state, snap.error, snap.result) == ("failed", message, None)


def test_a_killed_worker_fails_with_a_sentence():
    snap = finished(Job(die))
    assert snap.state == "failed" and snap.progress == "about to die"
    assert "ended unexpectedly" in snap.error and "SIGKILL" in snap.error


def test_a_result_that_cannot_be_sent_is_a_failure():
    snap = finished(Job(unpicklable))
    assert snap.state == "failed" and snap.error.startswith("unexpected")


def test_the_worker_sees_the_environment_of_the_job_start(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_JOB_TEST", "first")
    monkeypatch.chdir(tmp_path)
    assert finished(Job(environment, "SPIKELAB_JOB_TEST")).result == ("first", str(tmp_path))
    monkeypatch.setenv("SPIKELAB_JOB_TEST", "second")
    assert finished(Job(environment, "SPIKELAB_JOB_TEST")).result[0] == "second"


def test_two_jobs_are_independent():
    a, b = Job(count_until_stopped, 10**7), Job(count_until_stopped, 10**7)
    a.stop()
    assert finished(a).state == "stopped"
    assert b.snapshot().state == "running"
    b.stop()
    assert finished(b).state == "stopped"


def test_one_progress_line_for_every_page():
    p = Progress(epoch=2, epochs=4, batch=5, batches=10, loss=0.12345, history=())
    assert progress_line(p) == (0.375, "epoch 2/4, batch 5/10, loss 0.1235")
    assert progress_line(p, "ReL-PSP (1/2)", 12.4) == (
        0.375, "ReL-PSP (1/2) - epoch 2/4, batch 5/10, loss 0.1235 (12 s)")
    assert progress_line(Count(3, 10, "trials"), "Study x") == (0.3, "Study x - 3 of 10 trials")
    assert progress_line(Count(3, None, "trials"))[0] == 0.0
    assert progress_line("loading data", seconds=2) == (0.0, "loading data (2 s)")
    assert progress_line(None) == (0.0, "starting")
    assert progress_line(None, "point 1: hidden 4") == (0.0, "point 1: hidden 4")


def test_a_step_is_read_as_its_label_and_its_item():
    """One record for a labelled part (a grid point, a suite's round): the page's label goes
    first, the step's next, then its item; the fraction is the item's."""
    p = Progress(epoch=2, epochs=4, batch=5, batches=10, loss=0.12345, history=())
    assert progress_line(Step("point 3: hidden 8", p), seconds=3) == (
        0.375, "point 3: hidden 8 - epoch 2/4, batch 5/10, loss 0.1235 (3 s)")
    assert progress_line(Step("round 2/5", Count(3, 6, "parts")), "peers suite") == (
        0.5, "peers suite: round 2/5 - 3 of 6 parts")
    assert progress_line(Step("loading data")) == (0.0, "loading data")
    assert progress_line(Step("", Count(1, 4, "parts")), "scaling suite")[1] == (
        "scaling suite - 1 of 4 parts")
    label, item = Step("round 1/5", Count(1, 6, "parts"))  # unpacks as the old pair did
    assert label == "round 1/5" and item == Count(1, 6, "parts")
    assert [understood(x) for x in (p, Step("a"), "text", None, ("a", p))] == [
        True, True, True, False, False]
