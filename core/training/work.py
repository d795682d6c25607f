"""The work a training job runs in its worker process (see ``core.jobs``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.data import load_dataset
from core.store import RunStore
from core.training.config import TrainConfig
from core.training.inputs import prepare
from core.training.loop import train
from core.training.runs import save_report


def train_run(config: TrainConfig, data_path: str | None, download: bool, db: str, *,
              stop: Any, report: Callable[[Any], None]) -> int | None:
    """Load the data, train and save the run (a stopped run is saved too); its run id.

    Reports "loading data", then the loop's ``Progress`` after every batch.
    """
    report("loading data")
    data = prepare(load_dataset(config.dataset, data_path, download=download), config)
    result = train(config, data=data, progress=report, stop=stop)
    return save_report(RunStore(db), result).run_id
