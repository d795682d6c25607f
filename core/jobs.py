"""Long work (training, searches) in a worker process that a page polls and can stop.

``Job(work, *args, name=..., **kwargs)`` runs ``work(*args, stop=stop, report=report, **kwargs)``
in a process of its own, so the work gets a whole CPU instead of sharing the Streamlit server's
interpreter with every page rerun, and a crash or an out-of-memory kill ends only the worker.
``stop`` is a ``multiprocessing.Event`` the work checks between batches (``stop.is_set()``);
``report(item)`` sends its latest progress back. Progress and the result come back through a
pipe that a reader thread of the job drains, so ``snapshot()`` never waits for the work and a
worker never blocks on a page that stopped polling.

States are exactly ``running``, ``done``, ``stopped`` (asked to stop; the work's result is
kept) and ``failed`` (``error`` says why, in one line). ``work`` must be a module-level function
(it is pickled by reference) and its arguments, progress items and result must be small and
picklable: a run id, not a trained network.

Workers start from a "forkserver" that imports torch and the work modules once, so a job starts
in a fraction of a second; a server never forks itself, which is unsafe with threads. A worker
runs in the environment and working directory its server had when the job started (the fork
server's own are those of its first job).
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from core.data.base import DataUnavailable
from core.limits import max_jobs

STATES = ("running", "done", "stopped", "failed")
# Imported once by the fork server; every worker is forked from it with these loaded. Not
# core.nas.work: it imports scikit-learn, whose BLAS starts threads, and a process with
# threads must not fork (a NAS worker imports it itself, a second at most).
PRELOAD = ("torch", "core.training.work", "core.search.work", "core.relpsp.work")
# How often a page polls a running job. Every poll reruns a fragment in the server and
# repaints the browser, which takes CPU from the worker on a small machine; 2 s keeps a run
# started from a page within 1.1x the command line's time on 2 cores (tools/inapp_timing.py).
POLL_SECONDS = 2.0
# A running job's live chart is drawn from this many seconds on (a short run is over before a
# chart would help, and the browser's first chart, loading Plotly, would cost it a quarter of
# its time), then with every poll, from the snapshot its progress line shows.
LIVE_CHART_AFTER = 10.0
EXPECTED = (ValueError, DataUnavailable, OSError)  # their messages are written for users


@dataclass(frozen=True)
class JobSnapshot:
    """The state of a job at one moment."""

    name: str
    state: str  # one of STATES
    progress: Any  # the latest item the work reported, None before the first
    result: Any  # what the work returned (done or stopped), else None
    error: str | None  # one line, when failed
    seconds: float  # since the job started, until it ended

    @property
    def finished(self) -> bool:
        return self.state != "running"


def failure_message(exc: BaseException) -> str:
    """One line for the user: an expected error's own message, otherwise its type too."""
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if isinstance(exc, EXPECTED):
        return text or type(exc).__name__
    kind = f"unexpected {type(exc).__name__}"
    return f"{kind}: {text}" if text else kind


class LiveJobs:
    """The jobs of this server process whose workers still run, counted against the limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: set[object] = set()  # each running Job, removed when its worker ends

    def admit(self, job: object) -> str | None:
        """Count ``job`` in, or the one-line reason it cannot run now (limit reached)."""
        limit = max_jobs()
        with self._lock:
            running = len(self._jobs)
            if running >= limit:
                return refusal(running, limit)
            self._jobs.add(job)
        return None

    def release(self, job: object) -> None:
        with self._lock:
            self._jobs.discard(job)

    def count(self) -> int:
        with self._lock:
            return len(self._jobs)

    def running(self) -> list[Job]:
        """The running jobs, oldest first: any session may list and stop them, so a job whose
        tab was closed is not left without a Stop button."""
        with self._lock:
            jobs = [job for job in self._jobs if isinstance(job, Job)]
        return sorted(jobs, key=lambda job: job.started)


LIVE = LiveJobs()  # one per server process: every session's jobs share the limit


def running_jobs() -> list[Job]:
    """This server's running jobs, every session's, oldest first."""
    return LIVE.running()


def refusal(running: int, limit: int) -> str:
    """The sentence for a job refused because ``running`` jobs fill the ``limit``."""
    are = "job is" if running == 1 else "jobs are"
    return (f"{running} {are} running on this server, the limit is {limit}; wait for one to "
            "finish or stop yours.")


_MAIN_LOCK = threading.Lock()


@contextmanager
def _bare_main() -> Iterator[None]:
    """``sys.modules['__main__']`` a bare module (no file, no spec) while a process starts.

    multiprocessing records ``__main__``'s file for the new process, which imports it again;
    under Streamlit that file is the app script. The real module is put back afterwards unless
    a script run installed another meanwhile."""
    with _MAIN_LOCK:
        saved = sys.modules.get("__main__")
        bare = types.ModuleType("__main__")
        sys.modules["__main__"] = bare
        try:
            yield
        finally:
            if sys.modules.get("__main__") is bare and saved is not None:
                sys.modules["__main__"] = saved


def _start_forkserver() -> None:
    """Start the fork server (torch and the work modules preloaded) with a bare ``__main__``."""
    from multiprocessing import forkserver

    with _bare_main():
        forkserver.ensure_running()


def _context() -> Any:
    """Fork server where the platform has one (imports paid once), else spawn."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))  # no effect once the server runs
    return ctx


@functools.cache  # once per server process
def prepare_workers() -> None:
    """Start the fork server in the background, so that the first job does not wait for its
    imports (about as long as torch's); a no-op once it runs, or without a fork server."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        threading.Thread(target=_start_forkserver, daemon=True,
                         name="spikelab-forkserver").start()


def _worker(work: Callable[..., Any], args: tuple, kwargs: dict, stop: Any, conn: Connection,
            env: dict[str, str], cwd: str) -> None:
    """The worker process: run ``work``, send progress, then the result or the failure."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)

    def report(item: Any) -> None:
        try:
            conn.send(("progress", item))
        except OSError:  # the server is gone: stop at the next check, keep what was done
            stop.set()

    try:
        outcome: tuple[str, Any] = ("result", work(*args, stop=stop, report=report, **kwargs))
    except Exception as exc:  # noqa: BLE001 - becomes the job's message, never a silent death
        outcome = ("error", failure_message(exc))
    try:
        conn.send(outcome)
    except OSError:
        pass  # nobody is listening any more
    except Exception as exc:  # noqa: BLE001 - a result that does not pickle
        conn.send(("error", failure_message(exc)))
    finally:
        conn.close()


def _died(exitcode: int | None) -> str:
    """The sentence for a worker that ended without a result."""
    how = f"exit code {exitcode}"
    if exitcode is not None and exitcode < 0:
        try:
            how += f", {signal.Signals(-exitcode).name}"
        except ValueError:
            pass
    return (f"The worker process ended unexpectedly ({how}): it was killed or ran out of "
            "memory.")


class Job:
    """One piece of work in a worker process, with a stop switch and a progress snapshot."""

    def __init__(self, work: Callable[..., Any], *args: Any, name: str = "job",
                 **kwargs: Any) -> None:
        ctx = _context()
        self.name = name
        self._stop = ctx.Event()
        self._lock = threading.Lock()
        self._state, self._progress, self._result = "running", None, None
        self._error: str | None = None
        self._start, self._end = time.monotonic(), None
        self.started = time.time()  # wall clock, for listing the server's jobs
        self._reader: threading.Thread | None = None
        refused = LIVE.admit(self)
        if refused is not None:  # a failed job that never ran: pages show its one line
            self._state, self._error, self._end = "failed", refused, self._start
            return
        try:
            self._launch(ctx, work, args, kwargs)
        except BaseException:
            LIVE.release(self)
            raise

    def _launch(self, ctx: Any, work: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        """Start the worker (with a bare ``__main__``) and the thread that reads its pipe."""
        reader, writer = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_worker, name=f"spikelab-{self.name}", daemon=True,
            args=(work, args, kwargs, self._stop, writer, dict(os.environ), os.getcwd()),
        )
        with _bare_main():
            self._process.start()
        writer.close()  # the worker holds the only writer: its exit reads as end-of-file
        self._reader = threading.Thread(target=self._listen, args=(reader,), daemon=True,
                                        name=f"spikelab-{self.name}-reader")
        self._reader.start()

    def _listen(self, conn: Connection) -> None:
        """Keep the latest progress until the worker sends its outcome and ends."""
        outcome: tuple[str, Any] | None = None
        with conn:
            while True:
                try:
                    kind, item = conn.recv()
                except EOFError:
                    break
                if kind == "progress":
                    with self._lock:
                        self._progress = item
                else:
                    outcome = (kind, item)
        self._process.join()
        with self._lock:
            if outcome is None:
                self._state, self._error = "failed", _died(self._process.exitcode)
            elif outcome[0] == "error":
                self._state, self._error = "failed", outcome[1]
            else:
                self._state = "stopped" if self._stop.is_set() else "done"
                self._result = outcome[1]
            self._end = time.monotonic()
        LIVE.release(self)

    def stop(self) -> None:
        """Ask the work to stop at its next check; what it has done so far is kept."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """Whether the job was asked to stop (it may still be finishing its batch)."""
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job to end; True when it has."""
        if self._reader is None:  # refused: it never ran
            return True
        self._reader.join(timeout)
        return not self._reader.is_alive()

    @property
    def finished(self) -> bool:
        return self.snapshot().finished

    def snapshot(self) -> JobSnapshot:
        """A copy of the job's state; never waits for the work."""
        with self._lock:
            end = self._end if self._end is not None else time.monotonic()
            return JobSnapshot(self.name, self._state, self._progress, self._result,
                               self._error, end - self._start)
