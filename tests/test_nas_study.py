"""Searches on a SQLite study: trials, run store, resuming, settings checks, stopping, views."""

from __future__ import annotations

import threading

import optuna
import pytest

from core.jobs import Job
from core.nas import trainer
from core.nas.model import model_from_config
from core.nas.study import (
    Budget,
    SearchSpec,
    make_storage,
    open_study,
    run_search,
)
from core.nas.summary import (
    algorithm_averages,
    architecture_table,
    best_record,
    best_so_far,
    factor_comparison,
    list_studies,
    spike_accuracy_correlation,
    study_records,
)
from core.nas.trainer import evaluate
from core.progress import Count
from core.store import RunStore
from core.store.studies import storage_url
from tests.nas_support import TINY, single_thread, tiny_search


@pytest.fixture(autouse=True)
def _one_thread():
    yield from single_thread()


@pytest.fixture()
def tiny(monkeypatch):
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    return trainer.prepare_data("digits", TINY)


def _run(url: str, name: str, spec: SearchSpec, data, trials: int, store=None, seed=0):
    study, spec = open_study(make_storage(url), name, spec, seed)
    run_search(study, spec, Budget(trials=trials), data, store=store)
    return study


def test_search_records_trials_and_resumes(tmp_path, tiny):
    url = f"sqlite:///{tmp_path / 'nas.db'}"
    store = RunStore(tmp_path / "runs.db")
    spec = SearchSpec("greedy")
    _run(url, "g", spec, tiny, 3, store)
    study = _run(url, "g", spec, tiny, 2, store)  # continues the same study
    records = study_records(study)
    assert [r.number for r in records] == [0, 1, 2, 3, 4]
    assert all(r.complete and r.algorithm == "greedy" for r in records)
    first = records[0]
    assert first.architecture.model == "snn" and len(first.architecture.layers) == 2
    assert 0.0 <= first.val_accuracy <= 1.0 and first.spikes > 0 and first.seconds > 0
    assert first.spikes == pytest.approx(sum(first.spikes_per_layer))
    runs = store.list_runs(kind="nas")
    assert len(runs) == 5
    run = store.get_run(first.run_id)
    assert run.config["architecture"]["layers"] == [list(x) for x in first.architecture.layers]
    assert run.metrics["spikes_per_layer"] == pytest.approx(first.spikes_per_layer)
    assert run.metrics["val_accuracy"] == first.val_accuracy
    assert run.load_weights()["convs.0.weight"].shape[0] == first.architecture.layers[0][0]
    model = model_from_config(run.config, run.load_weights())  # the hardware page's way back
    accuracy, counts = evaluate(model, tiny.x_test, tiny.y_test, 100)
    assert accuracy == first.val_accuracy
    assert counts.tolist() == pytest.approx(first.spikes_per_layer)
    assert list_studies(make_storage(url))[0] | {"trials": 5} == {
        "study": "g", "trials": 5, "algorithm": "greedy", "dataset": "digits", "model": "snn",
        "neuron": None, "reset": None, "preset": "small"}


def test_a_study_keeps_its_settings(tmp_path, tiny):
    url = storage_url(str(tmp_path / "nas.db"))
    assert url.startswith("sqlite:///")
    _run(url, "s", SearchSpec("random", neuron="IF"), tiny, 1)
    with pytest.raises(ValueError, match="searches random"):
        open_study(make_storage(url), "s", SearchSpec("bayesian", neuron="IF"))
    study, spec = open_study(make_storage(url), "s")  # a worker joins by name
    assert spec == SearchSpec("random", neuron="IF")
    assert study_records(study)[0].architecture.neuron == "IF"
    with pytest.raises(ValueError, match="no study named"):
        open_study(make_storage(url), "missing")


def test_invalid_settings_say_why():
    with pytest.raises(ValueError, match="ReLU"):
        SearchSpec("random", model="dnn", neuron="IF")
    with pytest.raises(ValueError, match="Unknown algorithm"):
        SearchSpec("annealing")
    with pytest.raises(ValueError, match="budget"):
        Budget()
    with pytest.raises(ValueError, match="at least 1"):
        Budget(trials=0)
    with pytest.raises(ValueError, match="Cannot open the study storage"):
        make_storage("postgresql://nobody:secret@127.0.0.1:1/none")


def test_stopping_abandons_the_running_trial(tmp_path, tiny):
    study, spec = open_study(make_storage(str(tmp_path / "n.db")), "x", SearchSpec("random"))
    stop = threading.Event()
    stop.set()
    assert run_search(study, spec, Budget(trials=5), tiny, stop=stop) is False
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.FAIL]


def test_background_job_runs_and_stops(tmp_path, tiny):
    url = str(tmp_path / "job.db")
    job = Job(tiny_search, url, "job", SearchSpec("bayesian", model="dnn"), Budget(trials=2))
    job.join(60)
    snap = job.snapshot()
    assert snap.state == "done" and snap.progress == Count(2, 2, "trials") and snap.finished
    assert snap.result is True
    records = study_records(open_study(make_storage(url), "job")[0])
    assert all(r.spikes is None and r.architecture.model == "dnn" for r in records)
    stopped = Job(tiny_search, url, "job", SearchSpec("bayesian", model="dnn"),
                  Budget(trials=500))
    stopped.stop()
    stopped.join(60)
    snap = stopped.snapshot()
    assert snap.state == "stopped" and snap.progress.done < 500 and snap.result is False
    failed = Job(tiny_search, url, "job", SearchSpec("random"), Budget(trials=1))
    failed.join(60)
    snap = failed.snapshot()
    assert snap.state == "failed" and "searches bayesian" in snap.error


def test_views_of_several_studies(tmp_path, tiny):
    url = str(tmp_path / "views.db")
    records = []
    for algorithm in ("random", "greedy"):
        for neuron in ("IF", "LIF"):
            study = _run(url, f"{algorithm}-{neuron}", SearchSpec(algorithm, neuron=neuron,
                                                                  reset="soft"), tiny, 2)
            records += study_records(study)
    table = architecture_table(records)
    assert [row["condition"] for row in table] == [
        "IF, Soft (Greedy)", "IF, Soft (Random)", "LIF, Soft (Greedy)", "LIF, Soft (Random)"]
    for row in table:
        assert set(row) >= {"layer 1", "layer 2", "val_accuracy"}
        filters, kernel = map(int, row["layer 1"].split())
        assert filters in TINY.filters and kernel in TINY.kernels
        group = [r for r in records if r.label == row["condition"]]
        assert row["val_accuracy"] == max(r.val_accuracy for r in group)
    averages = {row["algorithm"]: row for row in algorithm_averages(records)}
    assert set(averages) == {"Greedy", "Random"} and averages["Random"]["trials"] == 4
    mean = sum(r.val_accuracy for r in records if r.algorithm == "random") / 4
    assert averages["Random"]["val_accuracy"] == pytest.approx(mean)
    assert [row["neuron"] for row in factor_comparison(records, "neuron")] == ["IF", "LIF"]
    curves = best_so_far(records)
    assert sorted(curves) == ["Greedy (greedy-IF)", "Greedy (greedy-LIF)", "Random (random-IF)",
                              "Random (random-LIF)"]
    for name, points in curves.items():
        values = [p["best_val_accuracy"] for p in points]
        study = name.split("(")[1].rstrip(")")
        assert values[-1] == max(r.val_accuracy for r in records if r.study == study)
        assert values == sorted(values) and len(points) == 2
    assert best_record(records).val_accuracy == max(r.val_accuracy for r in records)
    corr = spike_accuracy_correlation(records)
    assert corr is None or -1.0 <= corr <= 1.0


@pytest.mark.parametrize("algorithm", ["random", "greedy", "bayesian"])
def test_a_resumed_search_continues_and_never_trains_an_architecture_twice(tmp_path, tiny,
                                                                            algorithm):
    """Issue 13, item 9: a study resumed in a new process (a new sampler, as after kill -9)
    goes on with new architectures; random draws exactly what one run would have drawn, and
    any repeat of a completed architecture reuses its value instead of training again."""
    spec = SearchSpec(algorithm)
    whole = _run(f"sqlite:///{tmp_path / 'a.db'}", "w", spec, tiny, 4)
    url = f"sqlite:///{tmp_path / 'b.db'}"
    _run(url, "r", spec, tiny, 2)
    resumed = _run(url, "r", spec, tiny, 2)  # open_study again: a fresh sampler
    if algorithm == "random":
        assert [t.params for t in resumed.trials] == [t.params for t in whole.trials]
    trained = [tuple(sorted(t.params.items())) for t in resumed.trials
               if "reused_from" not in t.user_attrs]
    assert len(trained) == len(set(trained))
    for t in resumed.trials:
        if "reused_from" in t.user_attrs:
            twin = resumed.trials[t.user_attrs["reused_from"]]
            assert twin.params == t.params and twin.value == t.value


def test_an_architecture_already_completed_is_reused_not_trained(tmp_path, tiny):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    spec = SearchSpec("random")
    study = _run(url, "c", spec, tiny, 1)
    study.enqueue_trial(study.trials[0].params)  # ask for the same architecture again
    run_search(study, spec, Budget(trials=1), tiny)
    first, again = study.trials
    assert again.user_attrs["reused_from"] == 0 and again.value == first.value
    assert again.user_attrs["seconds"] == first.user_attrs["seconds"]  # copied, not retrained
