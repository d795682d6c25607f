"""Saving ReL-PSP runs in the run store (kind ``"relpsp"``) and reading them back."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from core.relpsp.train import RelpspReport
from core.store import Run, RunStore

KIND = "relpsp"


def finite_or_none(value: Any) -> Any:
    """JSON-safe number: NaN and infinities become ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save_report(store: RunStore, report: RelpspReport, name: str = "") -> RelpspReport:
    """Store the run (config, per-epoch history, metrics, test samples, weights); returns it
    with its id."""
    metrics = {k: finite_or_none(v) for k, v in report.metrics().items()}
    metrics["classes"] = list(report.classes)
    metrics["samples"] = report.samples
    run_id = store.save_run(
        KIND, report.config.to_dict(), report.history, metrics, report.params, name=name
    )
    return dataclasses.replace(report, run_id=run_id)


def list_relpsp_runs(store: RunStore | None = None, limit: int = 50) -> list[Run]:
    """Stored ReL-PSP (and alpha-PSP comparison) runs, newest first."""
    return (store or RunStore()).list_runs(KIND, limit=limit)
