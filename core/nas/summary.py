"""The study's views as plain data: trial records, the searched-architecture table, averages.

Pages and the command line turn these into tables and figures; tests assert on them. A row
label follows the study: the condition then the algorithm, e.g. ``LIF, Soft (Bayesian)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from core.nas.algorithms import ALGORITHM_TITLES
from core.nas.objectives import ENERGY_KEYS
from core.nas.space import Architecture
from core.nas.study import SPEC_ATTR


@dataclass(frozen=True)
class TrialRecord:
    """One trial of a study as the views need it; metrics are ``None`` until it completes."""

    study: str
    number: int
    state: str
    algorithm: str
    architecture: Architecture | None
    val_accuracy: float | None
    train_accuracy: float | None
    spikes: float | None
    spikes_per_layer: list[float] | None
    parameters: int | None
    seconds: float | None
    started: datetime | None
    finished: datetime | None
    run_id: int | None = None
    energy: dict[str, Any] | None = None  # a priced trial's ``core.nas.objectives.ENERGY_KEYS``
    reused_from: int | None = None

    @property
    def energy_j(self) -> float | None:
        """Energy per frame (J) of a multi-objective search's trial; None otherwise."""
        return None if self.energy is None else self.energy.get("energy_j")

    @property
    def complete(self) -> bool:
        return self.state == "COMPLETE" and self.val_accuracy is not None

    @property
    def group(self) -> str:
        """The algorithm's title; the DNN baseline is kept apart as ``DNN (<algorithm>)``."""
        title = ALGORITHM_TITLES.get(self.algorithm, self.algorithm)
        if self.architecture is not None and self.architecture.model == "dnn":
            return f"DNN ({title})"
        return title

    @property
    def label(self) -> str:
        """The study's row label, e.g. ``LIF, Soft (Bayesian)``."""
        title = ALGORITHM_TITLES.get(self.algorithm, self.algorithm)
        condition = self.architecture.condition if self.architecture else "?"
        return f"{condition} ({title})"

    def to_json(self) -> dict[str, Any]:
        arch = self.architecture
        return {
            "number": self.number,
            "algorithm": self.algorithm,
            "neuron": arch.neuron if arch else None,
            "reset": arch.reset if arch else None,
            "layers": [list(layer) for layer in arch.layers] if arch else [],
            "val_accuracy": self.val_accuracy,
            "train_accuracy": self.train_accuracy,
            "spikes": self.spikes,
            "seconds": self.seconds,
            "model": arch.model if arch else None,
            "state": self.state,
            "study": self.study,
            "parameters": self.parameters,
            "spikes_per_layer": self.spikes_per_layer,
            "run_id": self.run_id,
            "energy_j": self.energy_j,
            "energy": self.energy,
            "reused_from": self.reused_from,
        }


def record_from_trial(study_name: str, algorithm: str, trial: FrozenTrial) -> TrialRecord:
    attrs = trial.user_attrs
    arch_attr = attrs.get("architecture")
    arch = None
    if arch_attr:
        arch = Architecture(
            arch_attr["model"],
            tuple((int(f), int(k)) for f, k in arch_attr["layers"]),
            arch_attr.get("neuron"),
            arch_attr.get("reset"),
        )
    done = trial.state == TrialState.COMPLETE
    value = trial.values[0] if done and trial.values else None  # accuracy comes first
    energy = {k: attrs[k] for k in ENERGY_KEYS if k in attrs} if done else {}
    return TrialRecord(
        study=study_name,
        number=trial.number,
        state=trial.state.name,
        algorithm=str(attrs.get("algorithm", algorithm)),
        architecture=arch,
        val_accuracy=None if value is None else float(value),
        train_accuracy=attrs.get("train_accuracy") if done else None,
        spikes=attrs.get("spikes") if done else None,
        spikes_per_layer=attrs.get("spikes_per_layer") if done else None,
        parameters=attrs.get("parameters") if done else None,
        seconds=attrs.get("seconds") if done else None,
        started=trial.datetime_start,
        finished=trial.datetime_complete,
        run_id=attrs.get("run_id"),
        energy=energy if "energy_j" in energy else None,
        reused_from=attrs.get("reused_from"),
    )


def study_records(study: optuna.Study) -> list[TrialRecord]:
    """Every trial of the study, in trial order, whatever its state."""
    algorithm = str(study.user_attrs.get(SPEC_ATTR, {}).get("algorithm", "?"))
    return [record_from_trial(study.study_name, algorithm, t)
            for t in study.get_trials(deepcopy=False)]


def best_record(records: list[TrialRecord]) -> TrialRecord | None:
    """The complete trial with the highest validation accuracy (the earliest among equals)."""
    done = [r for r in records if r.complete]
    return max(done, key=lambda r: (r.val_accuracy, -r.number)) if done else None


def architecture_table(records: list[TrialRecord]) -> list[dict[str, Any]]:
    """One row per condition and algorithm: its best architecture as ``filters kernel``."""
    best: dict[str, TrialRecord] = {}
    for record in records:
        if not record.complete or record.architecture is None:
            continue
        held = best.get(record.label)
        if held is None or record.val_accuracy > held.val_accuracy:  # type: ignore[operator]
            best[record.label] = record
    rows = []
    for label in sorted(best):
        record = best[label]
        row: dict[str, Any] = {"condition": label}
        for i, (filters, kernel) in enumerate(record.architecture.layers):  # type: ignore[union-attr]
            row[f"layer {i + 1}"] = f"{filters} {kernel}"
        row.update(val_accuracy=record.val_accuracy, spikes=record.spikes,
                   study=record.study, trial=record.number)
        rows.append(row)
    return rows


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _summarise(key: str, value: str, group: list[TrialRecord]) -> dict[str, Any]:
    spikes = [r.spikes for r in group if r.spikes is not None]
    return {
        key: value,
        "trials": len(group),
        "train_accuracy": _mean([r.train_accuracy for r in group if r.train_accuracy is not None]),
        "val_accuracy": _mean([r.val_accuracy for r in group]),  # type: ignore[misc]
        "best_val_accuracy": max(r.val_accuracy for r in group),  # type: ignore[type-var]
        "spikes": _mean(spikes),  # type: ignore[arg-type]
    }


def algorithm_averages(records: list[TrialRecord]) -> list[dict[str, Any]]:
    """Average train/val accuracy and spikes of the complete trials, per algorithm."""
    groups: dict[str, list[TrialRecord]] = defaultdict(list)
    for record in records:
        if record.complete:
            groups[record.group].append(record)
    return [_summarise("algorithm", name, groups[name]) for name in sorted(groups)]


def factor_comparison(records: list[TrialRecord], factor: str) -> list[dict[str, Any]]:
    """IF vs LIF (``factor="neuron"``) or hard vs soft (``"reset"``) over complete SNN trials."""
    if factor not in ("neuron", "reset"):
        raise ValueError("Compare by 'neuron' or 'reset'.")
    groups: dict[str, list[TrialRecord]] = defaultdict(list)
    for record in records:
        arch = record.architecture
        if record.complete and arch is not None and arch.model == "snn":
            groups[str(getattr(arch, factor))].append(record)
    return [_summarise(factor, name, groups[name]) for name in sorted(groups)]


def best_so_far(records: list[TrialRecord]) -> dict[str, list[dict[str, float]]]:
    """Per study (named ``Algorithm (study)``): after each finished trial, its number in the
    study (from 0, as in the trials table), the seconds since the study's first trial started,
    and the best validation accuracy so far (in the order the trials finished)."""
    groups: dict[str, list[TrialRecord]] = defaultdict(list)
    for record in records:
        if record.complete and record.finished is not None:
            groups[f"{record.group} ({record.study})"].append(record)
    out: dict[str, list[dict[str, float]]] = {}
    for name, group in sorted(groups.items()):
        group.sort(key=lambda r: r.finished)  # type: ignore[arg-type,return-value]
        first = min(r.started or r.finished for r in group)  # type: ignore[type-var]
        best, points = -math.inf, []
        for record in group:
            best = max(best, record.val_accuracy)  # type: ignore[type-var]
            elapsed = (record.finished - first).total_seconds()  # type: ignore[operator]
            points.append({"trial": record.number, "seconds": elapsed,
                           "best_val_accuracy": best})
        out[name] = points
    return out


def spike_points(records: list[TrialRecord]) -> list[dict[str, Any]]:
    """Spikes per sample against validation accuracy, one row per finished SNN trial."""
    return [{"spikes per sample": r.spikes, "val accuracy": r.val_accuracy, "run": r.group,
             "architecture": r.label} for r in records if r.complete and r.spikes is not None]


def accuracy_range(values: list[float]) -> tuple[float, float] | None:
    """A y range that shows accuracies ``values`` closely (None when there are none): a flat
    curve would otherwise get a range of +-0.5 around it."""
    if not values:
        return None
    return max(0.0, min(values) - 0.02), min(1.0, max(values)) + 0.01


def spike_accuracy_correlation(records: list[TrialRecord]) -> float | None:
    """Pearson correlation of spikes per sample and validation accuracy (SNN trials)."""
    pairs = [(r.spikes, r.val_accuracy) for r in records if r.complete and r.spikes is not None]
    if len(pairs) < 3:
        return None
    xs, ys = zip(*pairs, strict=True)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None


def list_studies(storage: optuna.storages.BaseStorage) -> list[dict[str, Any]]:
    """The SpikeLab NAS studies in a storage: name, settings and trial count."""
    out = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        spec = summary.user_attrs.get(SPEC_ATTR)
        if spec is not None:
            out.append({"study": summary.study_name, "trials": summary.n_trials, **spec})
    return out
