"""The work a grid-search job runs in its worker process (see ``core.jobs``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.data import load_dataset
from core.progress import Step
from core.search.grid import run_sweep
from core.store import RunStore
from core.training.config import TrainConfig


def sweep(base: TrainConfig, grid: dict[str, tuple[float, ...]], study: str, storage: str,
          db: str, data_path: str | None, download: bool, *, stop: Any,
          report: Callable[[Any], None]) -> tuple[int, int]:
    """Load the data once, then train the grid's open points; (points done, points in all).

    Reports a ``Step``: the point being trained and its loop's ``Progress`` (None while the
    point starts).
    """
    report(Step("loading data"))
    dataset = load_dataset(base.dataset, data_path, download=download)
    summary = run_sweep(base, grid, study, storage, RunStore(db), dataset=dataset,
                        progress=lambda message, p: report(Step(message, p)), stop=stop)
    return summary.done, summary.total
