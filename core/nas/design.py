"""The study's experimental design: every algorithm x condition, several seeds, and its tables.

The study ("Performance analysis of NAS algorithms for deep spiking neural networks") searches
with Random, Greedy and Bayesian under each condition IF/LIF x hard/soft reset (neuron and
reset fixed per search), plus the ReLU DNN baseline. ``design_specs`` lists those searches;
each runs as one study per seed, named ``<spec.default_name>-seed<seed>``
(``design_study_name``). ``run_design`` runs them round-robin, one trial per study per round,
so a run cut short (a deadline, a kill) leaves every study with about the same number of
trials, and a rerun continues where the studies stand.

``condition_averages`` reads the studies back and returns the poster's per-condition table:
per condition and algorithm, the best validation accuracy of each seed's study, averaged over
the seeds with its spread (sample standard deviation, min and max), and the mean of all its
trials. ``orderings`` compares the study's three claims on that table (LIF above IF, soft above
hard, Bayesian above Random and Greedy), per seed as well as on average; and
``paired_differences`` compares LIF with IF and soft with hard on identical architectures
(a seeded Random search draws the same layers under every condition).
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from statistics import mean, stdev
from typing import Any

import optuna
from optuna.trial import TrialState

from core.fit import PreparedData, StopSignal, stop_requested
from core.nas.algorithms import ALGORITHM_TITLES, ALGORITHMS
from core.nas.study import SPEC_ATTR, Budget, SearchSpec, open_study, run_search
from core.nas.summary import TrialRecord, best_record, study_records

# The study's conditions: (model, neuron, reset); the DNN has neither neuron nor reset.
CONDITIONS: tuple[tuple[str, str | None, str | None], ...] = (
    ("snn", "IF", "hard"), ("snn", "IF", "soft"), ("snn", "LIF", "hard"),
    ("snn", "LIF", "soft"), ("dnn", None, None),
)
_SEED_SUFFIX = re.compile(r"-seed(\d+)$")


def design_specs(dataset: str, preset: str,
                 algorithms: Sequence[str] = ALGORITHMS) -> list[SearchSpec]:
    """One search per algorithm and condition (neuron and reset fixed), the DNN included."""
    return [SearchSpec(algorithm, dataset, model, neuron, reset, preset)
            for algorithm in algorithms for model, neuron, reset in CONDITIONS]


def design_study_name(spec: SearchSpec, seed: int) -> str:
    """The study of ``spec`` for ``seed``: ``fashion-mnist-snn-random-fashion-IF-hard-seed0``."""
    return f"{spec.default_name}-seed{seed}"


def completed_trials(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def run_design(
    storage: optuna.storages.BaseStorage,
    data: PreparedData,
    specs: Sequence[SearchSpec],
    seeds: Sequence[int],
    trials: int,
    deadline: float | None = None,
    stop: StopSignal | None = None,
    on_trial: Callable[[str, optuna.trial.FrozenTrial], None] | None = None,
) -> int:
    """Bring every (spec, seed) study to ``trials`` complete trials, one trial per study per
    round; start no trial after ``deadline`` (a ``time.time()``). Returns the trials run."""
    ran = 0
    for round_ in range(trials):
        for seed in seeds:
            for spec in specs:
                if stop_requested(stop) or (deadline is not None and time.time() >= deadline):
                    return ran
                name = design_study_name(spec, seed)
                study, spec = open_study(storage, name, spec, seed)
                if completed_trials(study) > round_:
                    continue
                callback = None if on_trial is None else (lambda t, n=name: on_trial(n, t))
                run_search(study, spec, Budget(trials=1), data, stop=stop, on_trial=callback)
                ran += 1
    return ran


def design_records(
    storage: optuna.storages.BaseStorage,
) -> dict[tuple[str, int], list[TrialRecord]]:
    """The trial records of every design study in ``storage``, keyed by (study name without
    its seed, seed); studies not named ``...-seed<n>`` or not made by SpikeLab are left out."""
    out: dict[tuple[str, int], list[TrialRecord]] = {}
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        match = _SEED_SUFFIX.search(summary.study_name)
        if match is None or SPEC_ATTR not in summary.user_attrs:
            continue
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        base = summary.study_name[: match.start()]
        out[(base, int(match.group(1)))] = study_records(study)
    return out


def _spread(values: list[float]) -> dict[str, float | None]:
    return {
        "mean": mean(values) if values else None,
        "std": stdev(values) if len(values) > 1 else None,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }


def condition_averages(
    studies: dict[tuple[str, int], list[TrialRecord]],
) -> list[dict[str, Any]]:
    """The per-condition table: one row per condition and algorithm (``LIF, Soft (Bayesian)``).

    Columns: ``seeds`` (studies with a complete trial), ``trials`` (complete trials, all seeds),
    ``best_val_*`` (each seed's best validation accuracy: mean, std, min, max over seeds),
    ``mean_val_accuracy`` / ``mean_train_accuracy`` / ``spikes`` (means over all complete
    trials), ``mean_seconds`` (per trial). Rows sorted by condition then algorithm.
    """
    groups: dict[tuple[str, str, str], dict[int, list[TrialRecord]]] = defaultdict(dict)
    for (_, seed), records in studies.items():
        done = [r for r in records if r.complete and r.architecture is not None]
        if not done:
            continue
        arch = done[0].architecture
        key = (arch.condition, done[0].algorithm, done[0].label)  # type: ignore[union-attr]
        groups[key][seed] = done
    order = {a: i for i, a in enumerate(ALGORITHMS)}
    rows = []
    for (condition, algorithm, label), per_seed in sorted(
        groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9))
    ):
        every = [r for seed in sorted(per_seed) for r in per_seed[seed]]
        bests = {seed: float(best_record(done).val_accuracy)  # type: ignore[union-attr,arg-type]
                 for seed, done in sorted(per_seed.items())}
        spikes = [r.spikes for r in every if r.spikes is not None]
        rows.append({
            "condition": label, "neuron_reset": condition,
            "algorithm": ALGORITHM_TITLES.get(algorithm, algorithm),
            "seeds": len(per_seed), "trials": len(every),
            **{f"best_val_{k}": v for k, v in _spread(list(bests.values())).items()},
            "best_val_per_seed": bests,
            "mean_val_accuracy": mean(r.val_accuracy for r in every),  # type: ignore[misc]
            "mean_train_accuracy": _mean_of([r.train_accuracy for r in every]),
            "spikes": _mean_of(spikes),
            "mean_seconds": _mean_of([r.seconds for r in every]),
        })
    return rows


def _mean_of(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return mean(kept) if kept else None


# The study's claims: (name, the row field that differs, the winner, the losers).
CLAIMS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("LIF above IF", "neuron", "LIF", ("IF",)),
    ("soft above hard", "reset", "Soft", ("Hard",)),
    ("Bayesian above Random", "algorithm", "Bayesian", ("Random",)),
    ("Bayesian above Greedy", "algorithm", "Bayesian", ("Greedy",)),
)


def _factors(row: dict[str, Any]) -> dict[str, str]:
    neuron, _, reset = str(row["neuron_reset"]).partition(", ")
    return {"neuron": neuron, "reset": reset, "algorithm": str(row["algorithm"])}


def orderings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each claim of ``CLAIMS`` checked on ``condition_averages`` rows.

    Rows are paired when they differ in the claim's factor only (e.g. ``LIF, Soft (Random)``
    with ``IF, Soft (Random)``; the DNN only in the algorithm claims). Per claim: ``pairs``,
    ``wins`` (pairs whose mean best accuracy over seeds is higher for the winner),
    ``mean_difference`` (winner minus loser, averaged over pairs), ``seed_pairs`` and
    ``seed_wins`` (the same per seed present in both), ``holds`` (mean difference > 0), and
    ``trial_mean_difference`` (the same difference of the means over all trials, which a
    search with few trials estimates with less noise than its best).
    """
    out = []
    for claim, factor, winner, losers in CLAIMS:
        index = {}
        for row in rows:
            f = _factors(row)
            index[(f[factor], tuple(v for k, v in sorted(f.items()) if k != factor))] = row
        diffs, seed_diffs, trial_diffs = [], [], []
        for (value, rest), row in index.items():
            if value != winner:
                continue
            for loser in losers:
                other = index.get((loser, rest))
                if other is None:
                    continue
                diffs.append(row["best_val_mean"] - other["best_val_mean"])
                if "mean_val_accuracy" in row and "mean_val_accuracy" in other:
                    trial_diffs.append(row["mean_val_accuracy"] - other["mean_val_accuracy"])
                mine, theirs = row["best_val_per_seed"], other["best_val_per_seed"]
                seed_diffs += [mine[s] - theirs[s] for s in mine if s in theirs]
        out.append({
            "claim": claim, "pairs": len(diffs), "wins": sum(d > 0 for d in diffs),
            "mean_difference": mean(diffs) if diffs else None,
            "seed_pairs": len(seed_diffs), "seed_wins": sum(d > 0 for d in seed_diffs),
            "holds": bool(diffs) and mean(diffs) > 0,
            "trial_mean_difference": mean(trial_diffs) if trial_diffs else None,
        })
    return out


def paired_differences(studies: dict[tuple[str, int], list[TrialRecord]],
                       algorithm: str = "random") -> list[dict[str, Any]]:
    """LIF minus IF and soft minus hard on identical architectures (SNN trials).

    A seeded Random search draws trial n's layers from (seed, n) alone, so its studies under
    the four conditions train the same architectures from the same initial weights: each pair
    of trials with the same seed, number and layers that differ in one factor is a paired
    comparison. Per factor: ``pairs``, ``wins`` (the study's winner higher), ``mean_difference``
    and ``std_difference`` (sample standard deviation of the pair differences).
    """
    trials: dict[tuple[Any, ...], float] = {}
    for (_, seed), records in studies.items():
        for r in records:
            arch = r.architecture
            if r.complete and r.algorithm == algorithm and arch is not None and arch.neuron:
                trials[(seed, r.number, arch.layers, arch.neuron, arch.reset)] = r.val_accuracy  # type: ignore[assignment]
    out = []
    for factor, winner, loser in (("neuron", "LIF", "IF"), ("reset", "soft", "hard")):
        diffs = []
        for (seed, number, layers, neuron, reset), value in trials.items():
            if (neuron if factor == "neuron" else reset) != winner:
                continue
            other = (seed, number, layers, loser, reset) if factor == "neuron" else (
                seed, number, layers, neuron, loser)
            if other in trials:
                diffs.append(value - trials[other])
        out.append({
            "claim": f"{winner} above {loser}", "algorithm": algorithm, "pairs": len(diffs),
            "wins": sum(d > 0 for d in diffs), "ties": sum(d == 0 for d in diffs),
            "mean_difference": mean(diffs) if diffs else None,
            "std_difference": stdev(diffs) if len(diffs) > 1 else None,
        })
    return out
