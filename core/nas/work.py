"""The work a NAS job runs in its worker process: one search on a study in a storage.

``search`` is started by a page as ``core.jobs.Job(search, storage_url, study_name, spec, ...)``.
It opens its own storage, loads the data and runs ``run_search``; the trials land in the
study's storage (the page reads them from there, so it sees a cluster's trials too) and the
job's progress counts this worker's finished trials. Stopping abandons the trial in progress at
its next batch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.nas.study import Budget, SearchSpec, make_storage, open_study, run_search
from core.nas.trainer import prepare_data
from core.progress import Count
from core.store import RunStore


def search(storage_url: str, study_name: str, spec: SearchSpec, budget: Budget, seed: int = 0,
           store_path: str | Path | None = None, data_path: str | None = None,
           download: bool = False, *, stop: Any, report: Callable[[Any], None]) -> bool:
    """Run the search until its budget is spent (True) or it is stopped (False).

    Reports a ``Count`` of the trials this worker finished; with ``store_path`` every finished
    trial is also a run in that run store.
    """
    data = prepare_data(spec.dataset, spec.train_preset, data_path, download=download)
    study, spec = open_study(make_storage(storage_url), study_name, spec, seed)
    store = None if store_path is None else RunStore(store_path)
    done = 0
    report(Count(done, budget.trials, "trials"))

    def count(trial: Any) -> None:
        nonlocal done
        done += 1
        report(Count(done, budget.trials, "trials"))

    return run_search(study, spec, budget, data, store=store, stop=stop, on_trial=count)
