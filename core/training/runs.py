"""Training runs in the run store (kind ``"surrogate"``): save a report, reload it later."""

from __future__ import annotations

import dataclasses

from core.store import Run, RunStore
from core.training.config import TrainConfig
from core.training.loop import TrainingReport

KIND = "surrogate"


def save_report(store: RunStore, report: TrainingReport, name: str = "") -> TrainingReport:
    """Store the run (configuration, history, metrics, weights); returns it with its id."""
    metrics = {**report.metrics(), "classes": list(report.classes)}
    run_id = store.save_run(
        KIND, report.config.to_dict(), report.history, metrics, report.params, name=name
    )
    return dataclasses.replace(report, run_id=run_id)


def load_report(store: RunStore, run_id: int) -> TrainingReport:
    """A stored surrogate-gradient run as a report, weights included."""
    run: Run = store.get_run(run_id)
    if run.kind != KIND:
        raise ValueError(f"Run {run_id} is a {run.kind!r} run, not a surrogate-gradient run.")
    m = run.metrics
    return TrainingReport(
        config=TrainConfig.from_dict(run.config),
        history=run.history,
        train_accuracy=float(m.get("train_accuracy") or 0.0),
        test_accuracy=float(m.get("test_accuracy") or 0.0),
        spikes_per_sample=float(m.get("spikes_per_sample") or 0.0),
        seconds=float(m.get("seconds") or 0.0),
        stopped=bool(m.get("stopped", False)),
        classes=tuple(m.get("classes") or ()),
        dt_ms=float(m.get("dt_ms") or run.config.get("dt_ms", 1.0)),
        params=run.load_weights(),
        run_id=run.id,
        spikes_per_layer=tuple(m.get("spikes_per_layer") or ()),
    )
