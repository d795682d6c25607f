"""Long work (training, grid searches) in a background thread that a page polls.

A ``Job`` runs ``target(stop, report)`` in a daemon thread: ``stop`` is a ``threading.Event``
the work checks between batches, ``report(item)`` records its latest progress. ``snapshot()``
copies the state under a lock, so a page's script run only reads and never waits for the work.
Each browser session holds its own jobs, so two sessions never touch each other's runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Target = Callable[[threading.Event, Callable[[Any], None]], Any]


@dataclass(frozen=True)
class JobSnapshot:
    """The state of a job at one moment."""

    name: str
    status: str  # "running", "done", "stopped" or "failed"
    progress: Any
    result: Any
    error: str | None
    seconds: float

    @property
    def finished(self) -> bool:
        return self.status != "running"


class Job:
    """One piece of work in its own daemon thread, with a stop switch."""

    def __init__(self, target: Target, name: str = "job") -> None:
        self.name = name
        self._target = target
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._progress: Any = None
        self._result: Any = None
        self._error: str | None = None
        self._status = "running"
        self._start = time.monotonic()
        self._end: float | None = None
        self._thread = threading.Thread(target=self._main, daemon=True, name=f"spikelab-{name}")
        self._thread.start()

    def _report(self, item: Any) -> None:
        with self._lock:
            self._progress = item

    def _main(self) -> None:
        try:
            result = self._target(self._stop, self._report)
        except Exception as exc:  # noqa: BLE001 - shown to the user as the job's error
            with self._lock:
                self._error = str(exc) or type(exc).__name__
                self._status, self._end = "failed", time.monotonic()
            return
        with self._lock:
            self._result = result
            self._status = "stopped" if self._stop.is_set() else "done"
            self._end = time.monotonic()

    def stop(self) -> None:
        """Ask the work to stop at its next check; what it has done so far is kept."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            end = self._end if self._end is not None else time.monotonic()
            return JobSnapshot(self.name, self._status, self._progress, self._result,
                               self._error, end - self._start)
