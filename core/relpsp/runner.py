"""Train one or more ReL-PSP / alpha-PSP configurations in a background thread a page can poll.

The page's script runs stay short: ``snapshot`` copies the latest progress under a lock, ``stop``
sets an event the training loop checks after every batch. Each finished (or stopped) run is
saved in the run store; a failure (data that cannot be had, an impossible setting) is kept as a
message for the page to show.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.data import load_dataset
from core.data.base import DataUnavailable
from core.relpsp.config import RelpspConfig
from core.relpsp.runs import save_report
from core.relpsp.train import PreparedData, Progress, RelpspReport, prepare, train
from core.store import RunStore

DataLoader = Callable[[RelpspConfig, bool], PreparedData]


def load_prepared(config: RelpspConfig, download: bool = True) -> PreparedData:
    """The data set of ``config``, encoded; ``download`` fetches a file missing from the cache."""
    return prepare(load_dataset(config.dataset, config.data_path, download=download), config)


@dataclass(frozen=True)
class JobSnapshot:
    """What the page draws while (and after) a job runs."""

    state: str  # "running", "done", "stopped" or "failed"
    current: int  # index of the configuration being trained
    total: int
    progress: Progress | None
    reports: tuple[RelpspReport, ...]
    run_ids: tuple[int | None, ...]
    error: str | None
    seconds: float

    @property
    def finished(self) -> bool:
        return self.state != "running"


@dataclass
class _State:
    current: int = 0
    progress: Progress | None = None
    reports: list[RelpspReport] = field(default_factory=list)
    run_ids: list[int | None] = field(default_factory=list)
    error: str | None = None
    state: str = "running"


class TrainingJob:
    """Trains ``configs`` one after the other in a daemon thread, saving each run."""

    def __init__(
        self,
        configs: list[RelpspConfig],
        store_path: str | Path | None = None,
        download: bool = True,
        loader: DataLoader = load_prepared,
        save: bool = True,
    ) -> None:
        if not configs:
            raise ValueError("A training job needs at least one configuration.")
        self.configs = list(configs)
        self._store_path = store_path
        self._loader = loader
        self._download = download
        self._save = save
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._state = _State()
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True, name="relpsp-train")
        self._thread.start()

    def _progress(self, p: Progress) -> None:
        with self._lock:
            self._state.progress = p

    def _run(self) -> None:
        try:
            for i, config in enumerate(self.configs):
                with self._lock:
                    self._state.current, self._state.progress = i, None
                report = train(
                    config, self._loader(config, self._download), self._progress, self._stop
                )
                run_id = None
                if self._save:
                    run_id = save_report(report, RunStore(self._store_path))
                with self._lock:
                    self._state.reports.append(report)
                    self._state.run_ids.append(run_id)
                if self._stop.is_set():
                    break
            final = "stopped" if self._stop.is_set() else "done"
        except (DataUnavailable, ValueError, OSError, RuntimeError) as exc:
            with self._lock:
                self._state.error = str(exc)
            final = "failed"
        except Exception as exc:  # a worker must never die silently: the page would wait on
            with self._lock:  # a job that makes no progress; report the bug instead
                self._state.error = f"unexpected {type(exc).__name__}: {exc}"
            final = "failed"
        with self._lock:
            self._state.state = final

    def stop(self) -> None:
        """Ask the training loop to stop after the current batch."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            s = self._state
            return JobSnapshot(
                state=s.state,
                current=s.current,
                total=len(self.configs),
                progress=s.progress,
                reports=tuple(s.reports),
                run_ids=tuple(s.run_ids),
                error=s.error,
                seconds=time.monotonic() - self._start,
            )
