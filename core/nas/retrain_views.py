"""The full-scale results as the NAS page and the command line show them: plain rows, proxy
beside full scale, the conditions of one architecture side by side.

``full_scale_rows`` lists every retrained architecture of the shown studies (the newest run
per study, trial, data set and condition: an architecture searched on one data set may be
retrained on another, and under other conditions than its own) with ``searched`` (the trial's
row label), ``condition`` (as retrained: ``LIF, Soft``, ``DNN``), its proxy accuracy and where
that comes from, and its full-scale validation and test accuracy. ``condition_rows`` adds the
full-scale columns to the per-condition table (``core.nas.summary.architecture_table``): per
row label, the retrained architecture of that label under its own condition with the best
full-scale validation accuracy on the data set it was searched on (a proxy accuracy beside
another data set's accuracy would compare nothing). ``text_lines`` is ``nas-retrain``'s table
for people.
"""

from __future__ import annotations

from typing import Any


def stored_condition(arch: dict[str, Any]) -> str:
    """The condition of a stored architecture (``Architecture.to_dict``): ``LIF, Soft``..."""
    if arch.get("model") == "dnn":
        return "DNN"
    return f"{arch.get('neuron')}, {str(arch.get('reset')).capitalize()}"


def searched_condition(label: str) -> str:
    """The condition part of a trial's row label (``LIF, Soft (Bayesian)`` -> ``LIF, Soft``)."""
    return label.rsplit(" (", 1)[0]


def _layers(arch: dict[str, Any]) -> str:
    return "-".join(str(filters) for filters, _ in arch.get("layers") or ())


def _row(run: Any) -> dict[str, Any]:
    c, m = run.config, run.metrics
    arch = c.get("architecture") or {}
    return {
        "searched": m.get("label"), "condition": m.get("condition") or stored_condition(arch),
        "study": str(c.get("study")), "trial": int(c.get("trial", -1)),
        "filters": _layers(arch), "dataset": c.get("dataset"),
        "proxy_dataset": c.get("proxy_dataset", c.get("dataset")),
        "proxy_accuracy": m.get("proxy_accuracy"),
        "proxy_source": m.get("proxy_source", "study"),
        "full_val_accuracy": m.get("val_accuracy"),
        "full_test_accuracy": m.get("test_accuracy"), "spikes": m.get("spikes"),
        "parameters": m.get("parameters"), "epochs": m.get("epochs"),
        "seconds": m.get("seconds"), "run_id": run.id,
    }


def _own(row: dict[str, Any]) -> bool:
    return searched_condition(str(row["searched"])) == row["condition"]


def full_scale_rows(runs: list[Any], studies: list[str]) -> list[dict[str, Any]]:
    """One row per retrained (study, trial, data set, condition) among ``studies``; ``runs``
    newest first. An architecture's rows stay together, its own condition first; the
    architectures by their searched proxy accuracy, best first."""
    rows: dict[tuple[str, int, str, str], dict[str, Any]] = {}
    for run in runs:
        row = _row(run)
        key = (row["study"], row["trial"], str(row["dataset"]), row["condition"])
        if row["study"] in studies and key not in rows:
            rows[key] = row
    score: dict[tuple[str, int], float] = {}  # the own condition's proxy, else the best
    for row in sorted(rows.values(), key=_own):
        arch, proxy = (row["study"], row["trial"]), row["proxy_accuracy"] or 0.0
        score[arch] = proxy if _own(row) else max(score.get(arch, 0.0), proxy)
    return sorted(rows.values(), key=lambda r: (-score[r["study"], r["trial"]], r["study"],
                                                r["trial"], r["dataset"], not _own(r),
                                                r["condition"]))


def condition_rows(table: list[dict[str, Any]],
                   full: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``table`` (per condition and algorithm; its ``val_accuracy`` is the proxy's, renamed
    ``proxy_accuracy``) with ``full_val_accuracy`` and
    ``full_test_accuracy`` of that label's best retrained architecture (None: none yet)."""
    best: dict[str, dict[str, Any]] = {}
    for row in full:
        if row["dataset"] != row["proxy_dataset"] or not _own(row):
            continue
        held = best.get(row["searched"])
        if held is None or (row["full_val_accuracy"] or 0.0) > (held["full_val_accuracy"]
                                                                  or 0.0):
            best[row["searched"]] = row
    out = []
    for row in table:
        match = best.get(row["condition"], {})
        renamed = {("proxy_accuracy" if k == "val_accuracy" else k): v for k, v in row.items()}
        out.append({**renamed, "full_val_accuracy": match.get("full_val_accuracy"),
                    "full_test_accuracy": match.get("full_test_accuracy")})
    return out


def _number(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def text_lines(result: dict[str, Any]) -> list[str]:
    """``nas-retrain``'s result as a table: per architecture one line per condition, the
    proxy accuracy (and its source) beside the full-scale validation and test accuracy."""
    rows = result["architectures"]
    layers = ["-".join(f"{f}x{k}" for f, k in row["layers"]) for row in rows]
    w_label = max([len("searched"), *(len(str(row["label"])) for row in rows)])
    w_layers = max([len("layers"), *(len(text) for text in layers)])
    lines = [f"{result['study']}: full scale on {result['dataset']} (proxy: the search's "
             f"recipe)",
             f"{'trial':>5}  {'searched':<{w_label}} {'layers':<{w_layers}} {'condition':<12} "
             f"{'proxy':>6} {'source':<8} {'val':>6} {'test':>6} {'spikes':>9} {'run':>5}"]
    previous = None
    for row, text in zip(rows, layers, strict=True):
        first = (row["trial"], row["label"]) != previous
        previous = (row["trial"], row["label"])
        lead = (f"{row['trial']:>5}  {str(row['label']):<{w_label}} {text:<{w_layers}}"
                if first else " " * (w_label + w_layers + 8))
        spikes = "-" if row["spikes"] is None else f"{row['spikes']:.1f}"
        lines.append(f"{lead} {row['condition']:<12} {_number(row['proxy_accuracy'], 3):>6} "
                     f"{row['proxy_source']:<8} {_number(row['val_accuracy']):>6} "
                     f"{_number(row['test_accuracy']):>6} {spikes:>9} {row['run_id']:>5}")
    return lines
