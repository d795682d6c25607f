"""Pareto fronts and hypervolumes (``core.nas.front``) against hand-computed examples."""

from __future__ import annotations

import math

import pytest

from core.hardware import AnnModel, conv_workload
from core.hardware.constants import E_MAC_J
from core.nas.front import (
    FrontPoint,
    Reference,
    StudyPoints,
    condition_fronts,
    describe_point,
    dominates,
    front_report,
    hypervolume,
    hypervolume_summary,
    non_dominated,
    snn_against_dnn,
    spread_comparisons,
    study_seed,
)
from core.nas.objectives import reference_energy
from core.nas.space import Architecture

LAYERS = ((4, 3), (8, 5))


def point(accuracy: float, energy: float, number: int = 0, neuron: str = "LIF",
          reset: str = "soft", study: str = "s", layers=LAYERS) -> FrontPoint:
    arch = Architecture("snn", layers, neuron, reset)
    return FrontPoint(study, number, "random", arch, accuracy, energy,
                      {"energy_j": energy, "synaptic_ops": 1234.0,
                       "energy_breakdown": {"accumulates (AC)": energy}},
                      10.0, [6.0, 4.0])


# Reference energy 10 J. A (0.5, 2) and B (0.8, 5) are on the front; C (0.6, 6) is dominated
# by B; D (0.9, 12) is on the front but beyond the reference; E equals B (another network).
A, B, C, D = point(0.5, 2.0, 0), point(0.8, 5.0, 1), point(0.6, 6.0, 2), point(0.9, 12.0, 3)
E = point(0.8, 5.0, 4, layers=((8, 3), (8, 3)))
REF = Reference(0.0, 10.0)


def test_domination_and_the_front():
    assert dominates(B, C) and not dominates(C, B)
    assert not dominates(A, B) and not dominates(B, A)  # a trade-off
    assert not dominates(B, E) and not dominates(E, B)  # equal points
    assert [p.number for p in non_dominated([C, D, B, A, E])] == [0, 1, 4, 3]


def test_hypervolume_by_hand():
    # (0.5 - 0) * (1 - 2/10) + (0.8 - 0.5) * (1 - 5/10) = 0.4 + 0.15; D lies outside the box
    assert hypervolume([A, B, C, D, E], REF) == pytest.approx(0.55, abs=1e-15)
    assert hypervolume([D], REF) == 0.0 and hypervolume([], REF) == 0.0
    assert hypervolume([point(1.0, 0.0)], REF) == 1.0  # the best possible point
    assert hypervolume([A, B], Reference(0.5, 10.0)) == pytest.approx(0.3 * 0.5)
    with pytest.raises(ValueError, match="greater than 0"):
        hypervolume([A], Reference(0.0, 0.0))


def test_fronts_per_condition():
    if_hard = point(0.7, 1.0, 5, neuron="IF", reset="hard")
    fronts = condition_fronts([A, B, C, if_hard])
    assert list(fronts) == ["IF, Hard", "LIF, Soft"]
    assert [p.number for p in fronts["LIF, Soft"]] == [0, 1]
    assert [p.number for p in fronts["IF, Hard"]] == [5]


def test_seed_spread_comparisons():
    rows = [{"study": f"x{i}", "algorithm": "NSGA-II", "seed": i, "trials": 3, "front_size": 2,
             "hypervolume": v, "per_condition": {"LIF, Soft": v}} for i, v in enumerate((.5, .6))]
    rows += [{"study": f"y{i}", "algorithm": "Random", "seed": i, "trials": 3, "front_size": 1,
              "hypervolume": v, "per_condition": {"LIF, Soft": v}}
             for i, v in enumerate((.2, .25))]
    rows.append({"study": "z", "algorithm": "Bayesian", "seed": 0, "trials": 3, "front_size": 1,
                 "hypervolume": .52, "per_condition": {"IF, Hard": .52}})
    summary = hypervolume_summary(rows)
    by = {r["algorithm"]: r for r in summary["per_algorithm"]}
    assert by["NSGA-II"]["hypervolume_mean"] == pytest.approx(.55)
    assert by["NSGA-II"]["hypervolume_std"] == pytest.approx(math.sqrt(.005))
    assert by["Bayesian"]["hypervolume_std"] is None and by["Bayesian"]["studies"] == 1
    pairs = {(c["first"], c["second"]): c for c in
             spread_comparisons(summary["per_algorithm"], "algorithm")}
    gap = pairs[("NSGA-II", "Random")]
    assert gap["difference"] == pytest.approx(.325)
    assert gap["seed_spread"] == pytest.approx(math.sqrt(.005) + math.sqrt(.00125))
    assert gap["exceeds_spread"] is True
    assert pairs[("Bayesian", "NSGA-II")]["exceeds_spread"] is None  # one seed: not judged
    conditions = {r["condition"]: r for r in summary["per_condition"]}
    assert conditions["LIF, Soft"]["studies"] == 4 and conditions["IF, Hard"]["studies"] == 1


def test_report_and_hover_lines():
    studies = [StudyPoints("s", "random", "snn", 0, [A, B, C, D])]
    report = front_report(studies, REF)
    assert [p["number"] for p in report["front"]] == [0, 1, 3]
    assert report["hypervolume"] == pytest.approx(0.55)
    assert report["per_study"][0]["hypervolume"] == pytest.approx(0.55)
    assert report["reference"]["energy_j"] == 10.0 and "largest" in report["reference"]["rule"]
    keys = {"val_accuracy", "energy_j", "latency_s", "synaptic_ops", "spikes", "layers",
            "spikes_per_layer", "energy_breakdown", "condition", "study", "number"}
    assert keys <= set(report["front"][0])
    lines = describe_point(A)
    assert lines[1] == "LIF, Soft: 4 3 | 8 5 (filters kernel)"
    assert any(line.startswith("spikes per layer 6.0, 4.0") for line in lines)
    assert any(line.startswith("accumulates (AC)") for line in lines)
    assert study_seed("a-seed3", None) == 3 and study_seed("a-seed3", 7) == 7
    assert study_seed("a", None) is None


def test_the_reference_energy_is_the_largest_architecture_as_an_ann():
    """8x8 digits, 4 layers of 64 filters with kernel 7, pooled after layers 0 and 2."""
    energy = reference_energy("digits", 1, 4, (16, 32, 64), (3, 5, 7), (0, 2))
    workload = conv_workload((1, 8, 8), [(64, 7)] * 4, (0, 2), 10, [0.0] * 4, 1)
    assert energy == AnnModel().estimate(workload).energy_per_frame_j
    macs = 8 * 8 * 64 * 1 * 49 + 4 * 4 * 64 * 64 * 49 + 4 * 4 * 64 * 64 * 49 \
        + 2 * 2 * 64 * 64 * 49 + 64 * 4 * 10
    assert energy == pytest.approx(macs * E_MAC_J)


def test_where_the_snn_stops_beating_the_dnn_on_energy():
    def dnn(accuracy: float, energy: float, number: int) -> FrontPoint:
        return FrontPoint("d", number, "random", Architecture("dnn", LAYERS), accuracy, energy,
                          {"energy_j": energy}, None, None)

    snn = [point(0.6, 1.0, 0), point(0.7, 3.0, 1), point(0.5, 2.0, 2)]  # the last dominated
    answer = snn_against_dnn([*snn, dnn(0.65, 2.0, 0), dnn(0.8, 10.0, 1)])
    rows = [(r["accuracy"], r["snn_energy_j"], r["dnn_energy_j"], r["snn_cheaper"])
            for r in answer["levels"]]
    assert rows == [(0.6, 1.0, 2.0, True), (0.65, 3.0, 2.0, False), (0.7, 3.0, 10.0, True),
                    (0.8, None, 10.0, False)]
    assert answer["crossover"]["accuracy"] == 0.65
    assert snn_against_dnn([*snn, dnn(0.6, 5.0, 0)])["crossover"] is None  # SNN always cheaper
    assert snn_against_dnn(snn) is None
