"""The study's design (core.nas.design): its searches, round-robin runs, the table over seeds,
the orderings, and the nas-design / nas-table commands."""

from __future__ import annotations

import json
import time

import optuna
import pytest

from core.cli import main
from core.nas import trainer
from core.nas.design import (
    condition_averages,
    design_records,
    design_specs,
    design_study_name,
    orderings,
    paired_differences,
    run_design,
)
from core.nas.study import make_storage
from tests.nas_support import TINY, single_thread


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    yield from single_thread()


def test_design_has_every_algorithm_and_condition() -> None:
    specs = design_specs("digits", "small")
    assert len(specs) == 15 and len({s.default_name for s in specs}) == 15
    conditions = {(s.algorithm, s.model, s.neuron, s.reset) for s in specs}
    assert ("bayesian", "snn", "LIF", "soft") in conditions
    assert ("greedy", "dnn", None, None) in conditions
    assert design_study_name(specs[0], 3) == "digits-snn-random-small-IF-hard-seed3"


def test_round_robin_resumes_and_tables_over_seeds(tmp_path) -> None:
    storage = make_storage(f"sqlite:///{tmp_path / 'design.db'}")
    data = trainer.prepare_data("digits", TINY)
    specs = [s for s in design_specs("digits", "small", ("random",)) if s.neuron != "IF"]
    seen: list[str] = []
    ran = run_design(storage, data, specs, (0, 1), 1, on_trial=lambda n, t: seen.append(n))
    assert ran == 6 and len(set(seen)) == 6  # one trial per study and seed
    assert run_design(storage, data, specs, (0, 1), 1) == 0  # nothing left to do
    assert run_design(storage, data, specs, (0, 1), 2, deadline=time.time() - 1) == 0
    assert run_design(storage, data, specs[:1], (0,), 2) == 1  # continues that study only
    studies = design_records(storage)
    assert len(studies) == 6 and len(studies[("digits-snn-random-small-LIF-hard", 0)]) == 2
    rows = {row["condition"]: row for row in condition_averages(studies)}
    assert set(rows) == {"LIF, Hard (Random)", "LIF, Soft (Random)", "DNN (Random)"}
    row = rows["LIF, Hard (Random)"]
    per_seed = {s: max(r.val_accuracy for r in studies[("digits-snn-random-small-LIF-hard", s)])
                for s in (0, 1)}
    assert row["best_val_per_seed"] == per_seed and row["seeds"] == 2 and row["trials"] == 3
    assert row["best_val_mean"] == pytest.approx(sum(per_seed.values()) / 2)
    assert row["best_val_min"] == min(per_seed.values()) and row["spikes"] > 0
    assert rows["DNN (Random)"]["spikes"] is None
    neuron, reset = paired_differences(studies)
    assert neuron["pairs"] == 0 and neuron["mean_difference"] is None
    soft = {s: studies[("digits-snn-random-small-LIF-soft", s)][0] for s in (0, 1)}
    hard = {s: studies[("digits-snn-random-small-LIF-hard", s)][0] for s in (0, 1)}
    assert all(soft[s].architecture.layers == hard[s].architecture.layers for s in (0, 1))
    diffs = [soft[s].val_accuracy - hard[s].val_accuracy for s in (0, 1)]
    assert reset["claim"] == "soft above hard" and reset["pairs"] == 2
    assert reset["mean_difference"] == pytest.approx(sum(diffs) / 2)


def _row(condition: str, algorithm: str, seeds: dict[int, float]) -> dict:
    best = sum(seeds.values()) / len(seeds)
    return {"condition": f"{condition} ({algorithm})", "neuron_reset": condition,
            "algorithm": algorithm, "best_val_per_seed": seeds, "best_val_mean": best,
            "mean_val_accuracy": best - 0.1}


def test_orderings_pair_rows_that_differ_in_one_factor() -> None:
    rows = [
        _row("IF, Hard", "Random", {0: 0.5, 1: 0.6}),
        _row("LIF, Hard", "Random", {0: 0.7, 1: 0.5}),
        _row("IF, Soft", "Random", {0: 0.6, 1: 0.6}),
        _row("LIF, Soft", "Random", {0: 0.8, 1: 0.9}),
        _row("LIF, Soft", "Bayesian", {0: 0.7, 1: 0.8}), _row("DNN", "Random", {0: 0.9}),
        _row("DNN", "Bayesian", {0: 0.95}),
    ]
    claims = {c["claim"]: c for c in orderings(rows)}
    lif = claims["LIF above IF"]
    assert (lif["pairs"], lif["wins"], lif["seed_pairs"], lif["seed_wins"]) == (2, 2, 4, 3)
    assert lif["mean_difference"] == pytest.approx((0.05 + 0.25) / 2) and lif["holds"]
    assert lif["trial_mean_difference"] == pytest.approx(lif["mean_difference"])
    soft = claims["soft above hard"]
    assert (soft["pairs"], soft["wins"]) == (2, 2) and soft["holds"]
    bayes = claims["Bayesian above Random"]
    assert (bayes["pairs"], bayes["wins"], bayes["seed_pairs"]) == (2, 1, 3)
    assert bayes["mean_difference"] == pytest.approx((-0.1 + 0.05) / 2) and not bayes["holds"]
    greedy = claims["Bayesian above Greedy"]
    assert greedy["pairs"] == 0 and greedy["mean_difference"] is None and not greedy["holds"]


def test_commands_run_the_design_and_print_its_table(capsys, tmp_path) -> None:
    storage = f"sqlite:///{tmp_path / 'design.db'}"
    assert main(["nas-design", "--dataset", "digits", "--algorithms", "greedy", "--seeds", "4",
                 "--trials", "1", "--storage", storage, "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["trials_run"] == 5 and len(out["table"]) == 5
    assert {row["seeds"] for row in out["table"]} == {1}
    assert main(["nas-table", "--storage", storage, "--json"]) == 0
    table = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert table["table"] == json.loads(json.dumps(out["table"]))
    assert [c["claim"] for c in table["orderings"]][:2] == ["LIF above IF", "soft above hard"]
    assert [c["claim"] for c in table["paired"]] == ["LIF above IF", "soft above hard"]
    names = [s.study_name for s in optuna.get_all_study_summaries(storage)]
    assert "digits-snn-greedy-small-LIF-soft-seed4" in names


@pytest.mark.parametrize("argv", [
    ["--seeds", "1,1"], ["--seeds", "-1"], ["--algorithms", "grid"], ["--trials", "0"],
    ["--minutes", "0"], ["--minutes", "1e300"], ["--trials", str(10**12)],
    ["--threads", "100000"],
])
def test_design_refuses_bad_settings_in_one_line(capsys, tmp_path, argv) -> None:
    try:  # argparse's refusals exit; the handler's return 2
        code = main(["nas-design", "--storage", str(tmp_path / "d.db"), "--dataset", "digits",
                     *argv])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().count("\n") == 0
