"""Accuracy-and-energy searches end to end: tiny studies, resume, pricing, ``nas-front``."""

from __future__ import annotations

import json
import sys

import optuna
import pytest
from optuna.trial import TrialState

from core.cli import main
from core.hardware.constants import E_MAC_J
from core.nas import trainer
from core.nas.algorithms import MULTI_ALGORITHMS, nsga_population
from core.nas.front import read_studies
from core.nas.objectives import price_run
from core.nas.study import SEED_ATTR, Budget, SearchSpec, make_storage, open_study, run_search
from core.nas.summary import best_so_far, study_records
from core.store import RunStore
from tests.nas_support import TINY, single_thread, tiny_cli
from tests.test_kill_resume import environment, kill_during_a_trial, rerun, trials
from tests.test_nas_postgres import postgres_url  # noqa: F401 - the server fixture

ENERGY = ("accuracy", "energy")
FRONT_KEYS = {"studies", "reference", "front", "hypervolume", "fronts", "per_study",
              "per_algorithm", "per_condition", "per_condition_algorithm",
              "algorithm_comparisons", "condition_comparisons", "snn_vs_dnn"}


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    yield from single_thread()


@pytest.fixture()
def tiny():
    return trainer.prepare_data("digits", TINY)


def _json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _trained(study: optuna.Study) -> list[tuple]:
    return [tuple(sorted(t.params.items())) for t in study.trials
            if t.state == TrialState.COMPLETE and "reused_from" not in t.user_attrs]


@pytest.mark.parametrize("algorithm", MULTI_ALGORITHMS)
def test_a_two_objective_study_resumes_and_trains_no_architecture_twice(tmp_path, tiny,
                                                                          algorithm):
    url, spec = f"sqlite:///{tmp_path / 'mo.db'}", SearchSpec(algorithm, objectives=ENERGY)
    study, _ = open_study(make_storage(url), "m", spec, seed=3)
    run_search(study, spec, Budget(trials=2), tiny)
    study, joined = open_study(make_storage(url), "m")  # a new process: a fresh sampler
    assert joined == spec and joined.hardware == "ops" and study.user_attrs[SEED_ATTR] == 3
    run_search(study, joined, Budget(trials=2), tiny)
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(done) == 4 and [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    assert len(_trained(study)) == len(set(_trained(study)))
    for t in done:
        accuracy, energy = t.values
        assert accuracy == t.user_attrs["val_accuracy"] and energy == t.user_attrs["energy_j"]
        assert energy > 0 and t.user_attrs["hardware"] == "ops"
        assert sum(t.user_attrs["energy_breakdown"].values()) == pytest.approx(energy)
        if "reused_from" in t.user_attrs:
            assert study.trials[t.user_attrs["reused_from"]].values == t.values
    records = study_records(study)
    assert records[0].val_accuracy == done[0].values[0] and records[0].energy_j > 0
    assert [p["trial"] for p in best_so_far(records)[f"{records[0].group} (m)"]] == [0, 1, 2, 3]


def test_nsga2_runs_generations_of_the_preset_size():
    assert nsga_population(TINY.tpe_startup_trials) == 6 and nsga_population(1) == 4


def test_a_trial_is_priced_as_energy_run_prices_its_run(tmp_path, capsys):
    """The energy a search records equals `energy --run ID` to the last digit."""
    storage = f"sqlite:///{tmp_path / 'mo.db'}"
    out = _json(capsys, "nas", "--algorithm", "random", "--objectives", "accuracy,energy",
                "--hardware", "ops", "--trials", "2", "--storage", storage, "--study", "p",
                "--json")
    assert out["objectives"] == list(ENERGY) and out["hardware"] == "ops"
    for trial in out["trials"]:
        run = RunStore().get_run(trial["run_id"])
        priced = _json(capsys, "energy", "--hardware", "ops", "--run", str(trial["run_id"]),
                       "--json")
        assert trial["energy_j"] == priced["energy_per_frame_j"]  # exactly
        assert trial["energy"]["synaptic_ops"] == priced["synaptic_ops"]
        assert trial["energy"]["latency_s"] == priced["latency_s"]
        assert trial["energy"]["energy_breakdown"] == priced["breakdown"]
        assert run.metrics["energy_j"] == priced["energy_per_frame_j"]
        assert price_run(run).energy_per_frame_j == priced["energy_per_frame_j"]
        assert {layer["name"]: layer["energy_j"] for layer in priced["per_layer"]} == \
            trial["energy"]["energy_per_layer"]


def test_the_dnn_is_priced_as_macs(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path / 'mo.db'}"
    out = _json(capsys, "nas", "--algorithm", "bayesian", "--model", "dnn", "--objectives",
                "accuracy,energy", "--trials", "2", "--storage", storage, "--json")
    assert out["study"] == "digits-dnn-bayesian-small-energy-ops"
    for trial in out["trials"]:
        energy = trial["energy"]
        assert energy["hardware"] == "ann" and energy["synaptic_ops"] == 0
        assert trial["energy_j"] == energy["dense_macs"] * E_MAC_J == energy["ann_energy_j"]


def test_nas_front_json_contract(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path / 'mo.db'}"
    for algorithm, seed in (("random", "0"), ("random", "1"), ("nsga2", "0")):
        _json(capsys, "nas", "--algorithm", algorithm, "--objectives", "accuracy,energy",
              "--trials", "2", "--seed", seed, "--storage", storage,
              "--study", f"{algorithm}-seed{seed}", "--no-store", "--json")
    _json(capsys, "nas", "--algorithm", "random", "--trials", "1", "--storage", storage,
          "--study", "accuracy-only", "--no-store", "--json")
    out = _json(capsys, "nas-front", "--storage", storage, "--json")
    assert set(out) == FRONT_KEYS
    assert out["studies"] == ["random-seed0", "random-seed1", "nsga2-seed0"]
    studies, reference = read_studies(make_storage(storage))
    assert out["reference"]["energy_j"] == reference.energy_j > 0
    assert out["reference"]["accuracy"] == 0.0
    assert 0.0 < out["hypervolume"] <= 1.0 and out["front"]
    energies = [p["energy_j"] for p in out["front"]]
    assert energies == sorted(energies)
    accuracies = [p["val_accuracy"] for p in out["front"]]
    assert accuracies == sorted(accuracies)  # along the front, more energy buys accuracy
    for p in out["front"]:
        assert {"layers", "val_accuracy", "energy_j", "latency_s", "synaptic_ops",
                "spikes", "spikes_per_layer", "energy_breakdown"} <= set(p)
    rows = {r["algorithm"]: r for r in out["per_algorithm"]}
    assert rows["Random"]["studies"] == 2 and rows["NSGA-II"]["studies"] == 1
    assert {r["seed"] for r in out["per_study"]} == {0, 1}
    assert out["algorithm_comparisons"][0]["exceeds_spread"] is None  # NSGA-II: one seed
    one = _json(capsys, "nas-front", "--storage", storage, "--study", "nsga2-seed0", "--json")
    assert one["studies"] == ["nsga2-seed0"]


@pytest.mark.parametrize(("argv", "message"), [
    (["nas", "--algorithm", "random", "--objectives", "energy"], "accuracy or accuracy,energy"),
    (["nas", "--algorithm", "random", "--objectives", "accuracy,latency"], "accuracy,energy"),
    (["nas", "--algorithm", "random", "--objectives", "accuracy,energy", "--hardware",
      "loihi"], "invalid choice"),
    (["nas", "--algorithm", "random", "--objectives", "accuracy,energy", "--hardware",
      "yoso"], "fully connected"),
    (["nas", "--algorithm", "random", "--hardware", "ops"], "--objectives accuracy,energy"),
    (["nas", "--algorithm", "greedy", "--objectives", "accuracy,energy"], "greedy climbs"),
    (["nas", "--algorithm", "nsga2"], "NSGA-II searches two"),
    (["nas-front", "--study", "x"], "--storage"),
])
def test_bad_objectives_and_hardware_are_one_line(argv, message, tmp_path, capsys):
    if argv[0] == "nas":
        argv = [*argv, "--storage", f"sqlite:///{tmp_path / 'e.db'}"]
    try:
        code = main([*argv, "--json"])
    except SystemExit as exc:  # argparse's refusals
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error")]) == 1
    assert not (tmp_path / "e.db").exists()  # refused before a study was created


def test_nas_front_errors_are_one_line(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path / 'f.db'}"
    assert main(["nas-front", "--storage", storage, "--json"]) == 2
    assert "no study storage" in capsys.readouterr().err
    _json(capsys, "nas", "--algorithm", "random", "--trials", "1", "--storage", storage,
          "--study", "one", "--no-store", "--json")
    assert main(["nas-front", "--storage", storage, "--json"]) == 2
    assert "no accuracy-and-energy study" in capsys.readouterr().err
    assert main(["nas-front", "--storage", storage, "--study", "one", "--json"]) == 2
    assert "accuracy alone" in capsys.readouterr().err
    assert main(["nas-front", "--storage", storage, "--study", "gone", "--json"]) == 2
    assert "no study named 'gone'" in capsys.readouterr().err


def test_a_worker_joins_with_the_study_objectives(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path / 'w.db'}"
    _json(capsys, "nas", "--algorithm", "nsga2", "--objectives", "accuracy,energy",
          "--trials", "1", "--storage", storage, "--study", "w", "--no-store", "--json")
    out = _json(capsys, "nas-worker", "--study", "w", "--storage", storage, "--trials", "1",
                "--objectives", "accuracy,energy", "--hardware", "ops", "--no-store", "--json")
    assert len(out["trials"]) == 2 and all(t["energy_j"] for t in out["trials"])
    assert main(["nas-worker", "--study", "w", "--storage", storage, "--trials", "1",
                 "--objectives", "accuracy", "--no-store", "--json"]) == 2
    assert "searches accuracy,energy, not accuracy" in capsys.readouterr().err


@pytest.mark.timeout(400)
def test_a_two_objective_search_killed_in_a_trial_resumes_training_nothing_twice(tmp_path):
    db = tmp_path / "mo.db"
    code = tiny_cli(epochs=2, max_train_samples=800)
    argv = [sys.executable, "-c", code, "nas", "--algorithm", "nsga2", "--objectives",
            "accuracy,energy", "--dataset", "digits", "--trials", "4", "--study", "k",
            "--no-store", "--json", "--storage", f"sqlite:///{db}"]
    env = environment(tmp_path)
    kill_during_a_trial(argv, db, env)
    assert TrialState.RUNNING in [t.state for t in trials(db, "k")]
    result = rerun(argv, env)
    after = trials(db, "k")
    assert TrialState.RUNNING not in [t.state for t in after]
    complete = [t for t in after if t.state == TrialState.COMPLETE]
    assert len(complete) >= 5
    trained = [tuple(sorted(t.params.items())) for t in complete
               if "reused_from" not in t.user_attrs]
    assert len(trained) == len(set(trained)), "an architecture was trained twice"
    assert all(len(t.values) == 2 and t.values[1] > 0 for t in complete)
    assert {r["number"] for r in result["trials"]} >= {t.number for t in complete}


def test_a_two_objective_study_on_postgresql(postgres_url, tiny, capsys):  # noqa: F811
    """The same study on a PostgreSQL server: created, joined by a worker, its front read."""
    spec = SearchSpec("bayesian", objectives=ENERGY)
    study, _ = open_study(make_storage(postgres_url), "pg-energy", spec, seed=1)
    run_search(study, spec, Budget(trials=2), tiny)
    out = _json(capsys, "nas-worker", "--study", "pg-energy", "--storage", postgres_url,
                "--trials", "1", "--no-store", "--json")
    assert len(out["trials"]) == 3 and all(t["energy_j"] > 0 for t in out["trials"])
    front = _json(capsys, "nas-front", "--storage", postgres_url, "--study", "pg-energy",
                  "--json")
    assert front["per_study"][0]["seed"] == 1 and front["per_study"][0]["trials"] >= 1
    assert 0.0 < front["hypervolume"] <= 1.0
