"""A search in a background thread that a page can poll and stop.

The thread opens its own storage, loads the data and runs ``run_search``; the page reads the
study's trials from the same storage (so it sees a cluster's trials too) and asks ``status()``
for the job's own state. ``stop()`` abandons the trial in progress at its next batch.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from core.nas.study import Budget, SearchSpec, make_storage, open_study, run_search
from core.nas.trainer import prepare_data


@dataclass(frozen=True)
class JobStatus:
    """``state`` is running, finished, stopped or failed; ``message`` says why it failed."""

    state: str
    trials_done: int
    trials_planned: int | None
    seconds: float
    message: str = ""

    @property
    def active(self) -> bool:
        return self.state == "running"


class SearchJob:
    """Runs one search in a daemon thread; the trials land in the study's storage."""

    def __init__(
        self,
        storage_url: str,
        study_name: str,
        spec: SearchSpec,
        budget: Budget,
        seed: int = 0,
        store: Any | None = None,
        data_path: str | None = None,
        download: bool = False,
    ) -> None:
        self.storage_url, self.study_name, self.spec = storage_url, study_name, spec
        self._budget, self._seed, self._store = budget, seed, store
        self._data_path, self._download = data_path, download
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state, self._message, self._done = "running", "", 0
        self._start = time.monotonic()
        self._end: float | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="nas-search")
        self._thread.start()

    def _run(self) -> None:
        try:
            data = prepare_data(self.spec.dataset, self.spec.train_preset, self._data_path,
                                download=self._download)
            storage = make_storage(self.storage_url)
            study, spec = open_study(storage, self.study_name, self.spec, self._seed)
            finished = run_search(
                study, spec, self._budget, data, store=self._store,
                should_stop=self._stop.is_set, on_trial=self._count,
            )
            self._finish("finished" if finished else "stopped")
        except Exception as exc:  # noqa: BLE001 - shown to the user, the thread must not die silently
            self._finish("failed", str(exc) or type(exc).__name__)

    def _count(self, trial: Any) -> None:
        with self._lock:
            self._done += 1

    def _finish(self, state: str, message: str = "") -> None:
        with self._lock:
            self._state, self._message, self._end = state, message, time.monotonic()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def status(self) -> JobStatus:
        with self._lock:
            end = self._end if self._end is not None else time.monotonic()
            return JobStatus(self._state, self._done, self._budget.trials,
                             end - self._start, self._message)
