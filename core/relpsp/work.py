"""The work a ReL-PSP job runs in its worker process: train configurations one after the other.

``train_configs`` is started by a page as ``core.jobs.Job(train_configs, configs, ...)``. Each
finished (or stopped) run is saved in the run store as soon as it ends; the page reloads what it
draws from the store by run id. A failure (data that cannot be had, an impossible setting)
becomes the job's message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.data import load_dataset
from core.progress import Progress
from core.relpsp.config import RelpspConfig
from core.relpsp.runs import save_report
from core.relpsp.summary import PSP_TITLES
from core.relpsp.train import PreparedData, prepare, train
from core.store import RunStore


def load_prepared(config: RelpspConfig, download: bool = True) -> PreparedData:
    """The data set of ``config``, encoded; ``download`` fetches a file missing from the cache."""
    return prepare(load_dataset(config.dataset, config.data_path, download=download), config)


@dataclass(frozen=True)
class RunsProgress:
    """What a multi-configuration job reports: which run it trains, and how far it is."""

    current: int  # index of the configuration being trained
    total: int
    psp: str  # the kernel of the configuration being trained
    progress: Progress | None  # None while its data loads
    run_ids: tuple[int, ...]  # the runs finished and saved so far
    note: str | None = None  # what it does after its last batch (a final pass)

    @property
    def label(self) -> str:
        """The run being trained, as its progress line names it: "ReL-PSP (1/2)"."""
        return f"{PSP_TITLES.get(self.psp, self.psp)} ({self.current + 1}/{self.total})"

    @property
    def item(self) -> Progress | str:
        """Its training loop's progress (``core.progress.Staged``), that its data loads, or
        its final pass."""
        if self.note is not None:
            return self.note
        return self.progress if self.progress is not None else "loading data ..."


@dataclass
class _RunReporter:
    """One run's progress as the job's ``RunsProgress``. A final pass's message keeps the last
    batch under it, whose history the page still draws as curves."""

    report: Callable[[Any], None]
    index: int
    total: int
    psp: str
    run_ids: list[int]  # the job's list, growing as runs are saved
    last: Progress | None = None

    def __call__(self, p: Progress | str | None) -> None:
        note = p if isinstance(p, str) else None
        if note is None:
            self.last = p
        self.report(RunsProgress(self.index, self.total, self.psp, self.last,
                                 tuple(self.run_ids), note))


def train_configs(configs: Sequence[RelpspConfig], store_path: str | Path | None = None,
                  download: bool = True, *, stop: Any,
                  report: Callable[[Any], None]) -> tuple[int, ...]:
    """Train and save each configuration in turn; the saved run ids (fewer when stopped)."""
    if not configs:
        raise ValueError("A training job needs at least one configuration.")
    run_ids: list[int] = []
    for i, config in enumerate(configs):
        step = _RunReporter(report, i, len(configs), config.psp, run_ids)
        step(None)
        result = train(config, data=load_prepared(config, download), progress=step, stop=stop)
        run_ids.append(save_report(RunStore(store_path), result).run_id)
        if stop.is_set():
            break
    return tuple(run_ids)
