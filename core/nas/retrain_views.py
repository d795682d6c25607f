"""The full-scale results as the NAS page shows them: plain rows, proxy beside full scale.

``full_scale_rows`` lists every retrained architecture of the shown studies (the newest run
per study, trial and data set: an architecture searched on one data set may be retrained on
another) with its proxy accuracy, its full-scale validation and test accuracy;
``condition_rows`` adds the full-scale columns to the per-condition table
(``core.nas.summary.architecture_table``): per row label, the retrained architecture of that
label with the best full-scale validation accuracy on the data set it was searched on (a proxy
accuracy beside another data set's accuracy would compare nothing).
"""

from __future__ import annotations

from typing import Any


def _layers(arch: dict[str, Any]) -> str:
    return "-".join(str(filters) for filters, _ in arch.get("layers") or ())


def full_scale_rows(runs: list[Any], studies: list[str]) -> list[dict[str, Any]]:
    """One row per retrained (study, trial, data set) among ``studies``; ``runs`` newest
    first."""
    rows: dict[tuple[str, int, str], dict[str, Any]] = {}
    for run in runs:
        c, m = run.config, run.metrics
        key = (str(c.get("study")), int(c.get("trial", -1)), str(c.get("dataset")))
        if key[0] not in studies or key in rows:
            continue
        rows[key] = {
            "condition": m.get("label"), "study": key[0], "trial": key[1],
            "filters": _layers(c.get("architecture") or {}), "dataset": c.get("dataset"),
            "proxy_dataset": c.get("proxy_dataset", c.get("dataset")),
            "proxy_accuracy": m.get("proxy_accuracy"),
            "full_val_accuracy": m.get("val_accuracy"),
            "full_test_accuracy": m.get("test_accuracy"), "spikes": m.get("spikes"),
            "parameters": m.get("parameters"), "epochs": m.get("epochs"),
            "seconds": m.get("seconds"), "run_id": run.id,
        }
    return sorted(rows.values(), key=lambda r: (-(r["proxy_accuracy"] or 0.0), r["study"],
                                                r["trial"], r["dataset"]))


def condition_rows(table: list[dict[str, Any]],
                   full: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``table`` (per condition and algorithm; its ``val_accuracy`` is the proxy's, renamed
    ``proxy_accuracy``) with ``full_val_accuracy`` and
    ``full_test_accuracy`` of that label's best retrained architecture (None: none yet)."""
    best: dict[str, dict[str, Any]] = {}
    for row in full:
        if row["dataset"] != row["proxy_dataset"]:
            continue
        held = best.get(row["condition"])
        if held is None or (row["full_val_accuracy"] or 0.0) > (held["full_val_accuracy"]
                                                                  or 0.0):
            best[row["condition"]] = row
    out = []
    for row in table:
        match = best.get(row["condition"], {})
        renamed = {("proxy_accuracy" if k == "val_accuracy" else k): v for k, v in row.items()}
        out.append({**renamed, "full_val_accuracy": match.get("full_val_accuracy"),
                    "full_test_accuracy": match.get("full_test_accuracy")})
    return out
