"""The ReL-PSP page's stored runs: which one its settings describe, how each is named, the
other kernel's run of the same settings, and the live view's dead-neuron figure."""

from __future__ import annotations

import json
from typing import Any

from core.relpsp.config import RelpspConfig
from core.relpsp.summary import PSP_TITLES as NAMES
from core.store import Run


def label(run: Run) -> str:
    """A stored run in the selector: id, kernel, data set, architecture (its conv layers, if
    typed) and test accuracy."""
    c, m = run.config, run.metrics
    acc = m.get("test_accuracy")
    acc_text = f"{acc:.3f}" if isinstance(acc, float) else "-"
    conv = f" {c['conv']}" if c.get("arch") == "conv" and c.get("conv") else ""
    return (f"#{run.id} {NAMES.get(c.get('psp'), '?')} {c.get('dataset')} {c.get('arch')}"
            f"{conv} {c.get('hidden')} - test {acc_text}")


def partner(runs: list[Run], run: dict[str, Any]) -> Run | None:
    """The other kernel's run trained with the same settings, newest first."""
    want = {**run["config"], "psp": "alpha" if run["config"]["psp"] == "relpsp" else "relpsp"}
    keys = [k for k in want if k not in ("data_path",)]
    return next((r for r in runs if all(r.config.get(k) == want[k] for k in keys)), None)


def settings_of(config: dict[str, Any]) -> dict[str, Any]:
    """A configuration as stored runs keep it, for comparing (the data path aside)."""
    return {k: v for k, v in json.loads(json.dumps(config)).items() if k != "data_path"}


def matching(runs: list[Run], config: RelpspConfig) -> list[int]:
    """The ReL-PSP runs trained with ``config``'s settings, newest first (a stored run lacking
    a setting added since is compared on the others)."""
    want = settings_of(config.to_dict())
    return [r.id for r in runs if r.config.get("psp") == "relpsp" and all(
        settings_of(r.config).get(k) == v for k, v in want.items() if k in r.config)]


def hidden_dead(record: dict[str, Any]) -> float | None:
    """The dead-neuron ratio of an epoch's hidden layers (their mean), or None."""
    layers = record.get("layers") or {}
    values = [v.get("dead_ratio") for k, v in layers.items() if k != "out" and isinstance(v, dict)]
    values = [v for v in values if isinstance(v, int | float)]
    return sum(values) / len(values) if values else None
