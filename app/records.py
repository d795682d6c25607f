"""A saved run as the JSON record the pages offer for download."""

from __future__ import annotations

from typing import Any

from core.store import Run


def run_record(run: Run) -> dict[str, Any]:
    """The run as ``python -m core runs --json`` lists it, plus its configuration and its
    per-epoch curves (the history every figure of the run is drawn from)."""
    return {"id": run.id, "kind": run.kind, "created": run.created, "name": run.name,
            "dataset": run.config.get("dataset"), "metrics": run.metrics, "config": run.config,
            "history": run.history}
