"""Pareto fronts of accuracy against energy per frame, and their hypervolumes, as plain data.

A trial dominates another when its validation accuracy is at least as high and its energy at
most as high, one of them strictly. The front of a set of trials is the trials no other trial
dominates (equal points are both kept). ``nas-front`` and the NAS page draw what these
functions return; tests assert on them.

Hypervolume (Zitzler & Thiele 1998), in two dimensions: the area of the (energy, accuracy)
plane that the front dominates, bounded by the reference point (accuracy 0, energy E_ref),
with energy measured as a fraction of E_ref. With the front sorted by energy::

    HV = sum_i (a_i - a_{i-1}) * (1 - e_i / E_ref),   a_0 = 0, points with e_i >= E_ref left out

so HV lies in [0, 1] (1: accuracy 1 at no energy). E_ref is fixed by the data set and the
preset alone (``core.nas.objectives.reference_energy``: the ANN energy of the space's largest
architecture), so hypervolumes of any studies of one preset compare.

The summaries give each study's hypervolume (all its trials, and each condition's sub-front),
then the mean and sample standard deviation over studies (seeds) per algorithm, per condition
and per condition and algorithm. A difference of two means *exceeds the seed spread* when it is
larger than the sum of the two standard deviations (their mean +- s.d. intervals do not
overlap); with fewer than two seeds on either side it is not judged (``None``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from statistics import mean, stdev
from typing import Any

from core.nas.algorithms import ALGORITHM_TITLES
from core.nas.objectives import reference_energy
from core.nas.space import Architecture
from core.nas.summary import TrialRecord

_SEED_SUFFIX = re.compile(r"-seed(\d+)$")
REFERENCE_RULE = ("accuracy 0 and the ANN energy (dense MACs at E_MAC) of the largest "
                  "architecture of the space (most filters, widest kernel in every layer) on "
                  "the preset's input; fixed per data set and preset")


@dataclass(frozen=True)
class Reference:
    """The hypervolume's reference point: accuracy and energy per frame (J)."""

    accuracy: float
    energy_j: float

    def to_json(self) -> dict[str, Any]:
        return {"accuracy": self.accuracy, "energy_j": self.energy_j, "rule": REFERENCE_RULE}


@dataclass(frozen=True)
class FrontPoint:
    """One priced trial: where it lies (accuracy, energy) and what the hover shows."""

    study: str
    number: int
    algorithm: str
    architecture: Architecture
    accuracy: float
    energy_j: float
    energy: dict[str, Any]
    spikes: float | None
    spikes_per_layer: list[float] | None
    run_id: int | None = None

    @property
    def condition(self) -> str:
        return self.architecture.condition

    def to_json(self) -> dict[str, Any]:
        arch = self.architecture
        return {
            "study": self.study, "number": self.number, "algorithm": self.algorithm,
            "condition": self.condition, "model": arch.model, "neuron": arch.neuron,
            "reset": arch.reset, "layers": [list(layer) for layer in arch.layers],
            "val_accuracy": self.accuracy, "energy_j": self.energy_j,
            "latency_s": self.energy.get("latency_s"),
            "synaptic_ops": self.energy.get("synaptic_ops"),
            "ann_energy_j": self.energy.get("ann_energy_j"),
            "energy_breakdown": self.energy.get("energy_breakdown"),
            "energy_per_layer": self.energy.get("energy_per_layer"),
            "hardware": self.energy.get("hardware"),
            "spikes": self.spikes, "spikes_per_layer": self.spikes_per_layer,
            "run_id": self.run_id,
        }


def describe_point(p: FrontPoint) -> list[str]:
    """The hover's lines: trial, architecture, accuracy, energy, spikes and breakdown."""
    layers = " | ".join(f"{f} {k}" for f, k in p.architecture.layers)
    lines = [f"{p.study} #{p.number} ({ALGORITHM_TITLES.get(p.algorithm, p.algorithm)})",
             f"{p.condition}: {layers} (filters kernel)",
             f"val accuracy {p.accuracy:.4f}, energy {p.energy_j:.4g} J per frame"]
    if p.energy.get("synaptic_ops") is not None:
        lines.append(f"synaptic ops {p.energy['synaptic_ops']:,.0f}")
    if p.spikes_per_layer:
        lines.append("spikes per layer " + ", ".join(f"{c:,.1f}" for c in p.spikes_per_layer))
    for name, joules in (p.energy.get("energy_breakdown") or {}).items():
        lines.append(f"{name}: {joules:.4g} J")
    return lines


def front_points(records: list[TrialRecord]) -> list[FrontPoint]:
    """The complete, priced trials as points; a reused twin (same architecture, untrained)
    is left out, so each architecture of a study counts once."""
    out = []
    for r in records:
        if not r.complete or r.energy_j is None or r.architecture is None or r.reused_from:
            continue
        out.append(FrontPoint(r.study, r.number, r.algorithm, r.architecture,
                              float(r.val_accuracy), float(r.energy_j),  # type: ignore[arg-type]
                              dict(r.energy or {}), r.spikes, r.spikes_per_layer, r.run_id))
    return out


def dominates(a: FrontPoint, b: FrontPoint) -> bool:
    """Whether ``a`` is at least as accurate and as cheap as ``b``, and better in one."""
    return (a.accuracy >= b.accuracy and a.energy_j <= b.energy_j
            and (a.accuracy > b.accuracy or a.energy_j < b.energy_j))


def non_dominated(points: list[FrontPoint]) -> list[FrontPoint]:
    """The front: points no other point dominates, by energy then accuracy ascending."""
    front = [p for p in points if not any(dominates(q, p) for q in points)]
    return sorted(front, key=lambda p: (p.energy_j, p.accuracy, p.study, p.number))


def hypervolume(points: list[FrontPoint], reference: Reference) -> float:
    """The fraction of the box [0, E_ref] x [reference accuracy, 1] the points dominate
    (module docstring); 0 for no point inside the box."""
    if reference.energy_j <= 0:
        raise ValueError("The reference energy must be greater than 0.")
    inside = [p for p in non_dominated(points)
              if p.energy_j < reference.energy_j and p.accuracy > reference.accuracy]
    area, floor = 0.0, reference.accuracy
    for p in inside:  # energy ascending, so accuracy ascending too
        area += (p.accuracy - floor) * (1.0 - p.energy_j / reference.energy_j)
        floor = p.accuracy
    return area


def condition_fronts(points: list[FrontPoint]) -> dict[str, list[FrontPoint]]:
    """Each condition's front (``IF, Hard`` ... ``DNN``), conditions in name order."""
    groups: dict[str, list[FrontPoint]] = defaultdict(list)
    for p in points:
        groups[p.condition].append(p)
    return {name: non_dominated(groups[name]) for name in sorted(groups)}


@dataclass(frozen=True)
class StudyPoints:
    """One study's priced trials with what the summaries group them by."""

    name: str
    algorithm: str
    model: str
    seed: int | None
    points: list[FrontPoint]


def study_seed(name: str, stored: Any) -> int | None:
    """The seed a study was created with (stored), else its ``-seed<n>`` name suffix."""
    if isinstance(stored, int):
        return stored
    match = _SEED_SUFFIX.search(name)
    return int(match.group(1)) if match else None


def study_rows(studies: list[StudyPoints], reference: Reference) -> list[dict[str, Any]]:
    """Per study: algorithm, model, seed, priced trials, its hypervolume and each condition's."""
    rows = []
    for s in studies:
        fronts = condition_fronts(s.points)
        rows.append({
            "study": s.name, "algorithm": _title(s.algorithm, s.model), "seed": s.seed,
            "trials": len(s.points), "front_size": len(non_dominated(s.points)),
            "hypervolume": hypervolume(s.points, reference),
            "per_condition": {c: hypervolume(f, reference) for c, f in fronts.items()},
        })
    return rows


def _title(algorithm: str, model: str) -> str:
    title = ALGORITHM_TITLES.get(algorithm, algorithm)
    return f"DNN ({title})" if model == "dnn" else title


def _spread(name: dict[str, Any], values: list[float]) -> dict[str, Any]:
    return {**name, "studies": len(values),
            "hypervolume_mean": mean(values) if values else None,
            "hypervolume_std": stdev(values) if len(values) > 1 else None,
            "hypervolumes": values}


def hypervolume_summary(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Mean +- s.d. over studies: ``per_algorithm``, ``per_condition`` (every study with
    trials of the condition), ``per_condition_algorithm``."""
    by_alg: dict[str, list[float]] = defaultdict(list)
    by_cond: dict[str, list[float]] = defaultdict(list)
    by_both: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        by_alg[row["algorithm"]].append(row["hypervolume"])
        for condition, value in row["per_condition"].items():
            by_cond[condition].append(value)
            by_both[(condition, row["algorithm"])].append(value)
    return {
        "per_algorithm": [_spread({"algorithm": a}, v) for a, v in sorted(by_alg.items())],
        "per_condition": [_spread({"condition": c}, v) for c, v in sorted(by_cond.items())],
        "per_condition_algorithm": [_spread({"condition": c, "algorithm": a}, v)
                                    for (c, a), v in sorted(by_both.items())],
    }


def spread_comparisons(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Every pair of ``rows`` (summary rows named by ``key``): the difference of their mean
    hypervolumes, the sum of their standard deviations, and whether it exceeds them."""
    out = []
    for a, b in combinations(rows, 2):
        if a["hypervolume_mean"] is None or b["hypervolume_mean"] is None:
            continue
        diff = a["hypervolume_mean"] - b["hypervolume_mean"]
        stds = (a["hypervolume_std"], b["hypervolume_std"])
        spread = None if None in stds else stds[0] + stds[1]
        out.append({"first": a[key], "second": b[key], "difference": diff,
                    "seed_spread": spread,
                    "exceeds_spread": None if spread is None else abs(diff) > spread})
    return out


def snn_against_dnn(points: list[FrontPoint]) -> dict[str, Any] | None:
    """Where the SNN front stops beating the DNN front on energy.

    At each accuracy on either front (``levels``): the least energy an SNN trial and a DNN
    trial reaching that accuracy took. ``crossover`` is the lowest accuracy the DNN reaches
    more cheaply than any SNN (or that no SNN reaches); None when the SNN is cheaper at every
    accuracy the DNN reaches. The whole answer is None without trials of both kinds.
    """
    snn = non_dominated([p for p in points if p.architecture.model == "snn"])
    dnn = non_dominated([p for p in points if p.architecture.model == "dnn"])
    if not snn or not dnn:
        return None

    def cheapest(front: list[FrontPoint], accuracy: float) -> float | None:
        costs = [p.energy_j for p in front if p.accuracy >= accuracy]
        return min(costs) if costs else None

    levels = []
    for accuracy in sorted({p.accuracy for p in snn + dnn}):
        s, d = cheapest(snn, accuracy), cheapest(dnn, accuracy)
        levels.append({"accuracy": accuracy, "snn_energy_j": s, "dnn_energy_j": d,
                       "snn_cheaper": s is not None and (d is None or s < d)})
    crossover = next((row for row in levels
                      if row["dnn_energy_j"] is not None and not row["snn_cheaper"]), None)
    return {"crossover": crossover, "levels": levels}


def front_report(studies: list[StudyPoints], reference: Reference) -> dict[str, Any]:
    """``nas-front``'s JSON: the pooled front, per-condition fronts, hypervolumes, summaries."""
    every = [p for s in studies for p in s.points]
    rows = study_rows(studies, reference)
    summary = hypervolume_summary(rows)
    return {
        "reference": reference.to_json(),
        "front": [p.to_json() for p in non_dominated(every)],
        "hypervolume": hypervolume(every, reference),
        "fronts": {c: [p.to_json() for p in f] for c, f in condition_fronts(every).items()},
        "per_study": rows,
        **summary,
        "algorithm_comparisons": spread_comparisons(summary["per_algorithm"], "algorithm"),
        "condition_comparisons": spread_comparisons(summary["per_condition"], "condition"),
        "snn_vs_dnn": snn_against_dnn(every),
    }


def spec_reference(spec: Any) -> Reference:
    """The reference point of a ``SearchSpec``'s data set and preset."""
    p = spec.train_preset
    return Reference(0.0, reference_energy(spec.dataset, p.input_pool, p.layers, p.filters,
                                           p.kernels, p.pool_after))


def read_studies(storage: Any, names: list[str] | None = None
                 ) -> tuple[list[StudyPoints], Reference]:
    """The priced trials of the studies ``names`` in ``storage`` (None: every accuracy-and-
    energy study there) and their shared reference point; ``ValueError`` saying why not."""
    import optuna

    from core.nas.study import SEED_ATTR, SPEC_ATTR, open_study
    from core.nas.summary import study_records

    if names is None:
        summaries = optuna.get_all_study_summaries(storage, include_best_trial=False)
        names = [s.study_name for s in summaries
                 if len((s.user_attrs.get(SPEC_ATTR) or {}).get("objectives") or ()) > 1]
        if not names:
            raise ValueError("This storage holds no accuracy-and-energy study: run `python -m "
                             "core nas --objectives accuracy,energy ...` first.")
    studies, references = [], set()
    for name in names:
        study, spec = open_study(storage, name)  # an existing SpikeLab study, else ValueError
        if not spec.multi:
            raise ValueError(f"Study {name!r} searches accuracy alone: its trials are not "
                             "priced (search with --objectives accuracy,energy).")
        references.add(spec_reference(spec))
        seed = study_seed(name, study.user_attrs.get(SEED_ATTR))
        studies.append(StudyPoints(name, spec.algorithm, spec.model, seed,
                                   front_points(study_records(study))))
    if len(references) > 1:
        raise ValueError("These studies search different data sets or presets, so they share "
                         "no reference point: compare studies of one preset.")
    return studies, references.pop()
