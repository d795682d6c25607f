"""``nas-retrain --as``: an architecture retrained under other conditions (the same-shape DNN,
another neuron or reset), each its own run, with its proxy accuracy from a study or measured."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import optuna
import pytest

from core.cli import main
from core.nas import trainer
from core.nas.retrain import CHECKPOINTS, RetrainRequest, plan, retrain, run_key
from core.nas.retrain_choice import Candidate, Unit, make_units
from core.nas.retrain_conditions import (
    CONDITIONS,
    MEASURED,
    STUDY,
    condition_title,
    convert,
    measure,
    parse_conditions,
)
from core.nas.space import Architecture, params_from_architecture
from core.nas.study import Budget, SearchSpec, make_storage, open_study, run_search
from core.nas.summary import study_records
from core.store import RunStore
from tests.nas_support import TINY, tiny_environment

STUDY_NAME = "tiny"
LIF_SOFT = Architecture("snn", ((8, 3), (4, 5)), "LIF", "soft")
NEW_KEYS = {"condition", "proxy_source", "proxy_study", "proxy_trial"}


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    yield from tiny_environment(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def study_db(tmp_path_factory) -> Path:
    """A tiny LIF study on the digits (TINY recipe): two complete trials."""
    saved = trainer.PRESETS["small"]
    trainer.PRESETS["small"] = TINY
    try:
        path = tmp_path_factory.mktemp("nas") / "nas.db"
        study, spec = open_study(make_storage(f"sqlite:///{path}"), STUDY_NAME,
                                 SearchSpec("random", neuron="LIF"))
        run_search(study, spec, Budget(trials=2), trainer.prepare_data("digits", TINY))
    finally:
        trainer.PRESETS["small"] = saved
    return path


def _run(capsys, *argv: str) -> tuple[dict, str]:
    """The command's JSON result and what it told people on stderr."""
    assert main(list(argv)) == 0
    out, err = capsys.readouterr()
    return json.loads(out.strip().splitlines()[-1]), err


def _json(capsys, *argv: str) -> dict:
    return _run(capsys, *argv)[0]


def _nothing(*_args, **_kw):
    raise AssertionError("nothing may be trained or loaded here")


def _argv(url: str, *extra: str) -> list[str]:
    return ["nas-retrain", "--storage", url, "--study", STUDY_NAME, "--dataset", "digits",
            "--trial", "0", "--epochs", "1", "--max-train-samples", "400", "--json", *extra]


def test_names_parse_in_order_once_and_convert_the_layers():
    assert parse_conditions(["Same, DNN", "lif-hard", "dnn"]) == ("same", "dnn", "lif-hard")
    assert parse_conditions("if-soft") == ("if-soft",)
    assert {"same", "dnn", "if-soft", "if-hard", "lif-soft", "lif-hard"} <= set(CONDITIONS)
    assert convert(LIF_SOFT, "same") is LIF_SOFT
    assert convert(LIF_SOFT, "dnn") == Architecture("dnn", LIF_SOFT.layers)
    assert convert(LIF_SOFT, "if-hard") == Architecture("snn", LIF_SOFT.layers, "IF", "hard")
    assert convert(Architecture("dnn", LIF_SOFT.layers), "lif-soft") == LIF_SOFT
    assert (condition_title("lif-hard"), condition_title("dnn")) == ("LIF, Hard",
                                                                      "DNN (ReLU, same layers)")
    for bad, message in (("lif-sfot", "Unknown condition 'lif-sfot'"),
                         (" , ", "at least one condition")):
        with pytest.raises(ValueError, match=message):
            parse_conditions([bad])


def test_a_condition_equal_to_the_trials_own_is_one_run():
    cand = Candidate(3, "LIF, Soft (Random)", LIF_SOFT, 0.8)
    units = make_units([cand], ("same", "lif-soft", "dnn"), "s", lambda arch: None)
    assert [u.architecture.condition for u in units] == ["LIF, Soft", "DNN"]
    assert [u.converted for u in units] == [False, True]
    assert (units[0].proxy.source, units[0].proxy.accuracy, units[0].proxy.trial) == (STUDY,
                                                                                      0.8, 3)
    assert units[1].proxy is None  # none in the studies: measured when it trains


def test_same_and_dnn_end_to_end_then_a_rerun_skips_both(capsys, study_db, monkeypatch):
    url = f"sqlite:///{study_db}"
    out, err = _run(capsys, *_argv(url, "--as", "same,dnn"))
    snn, dnn = out["architectures"]
    table = err.splitlines()[-3:]  # the architecture's two conditions side by side
    assert table[1].split()[0] == "0" and snn["condition"] in table[1]
    assert table[2].split()[0] == "DNN" and table[2].split()[-1] == str(dnn["run_id"])
    assert NEW_KEYS <= set(snn) and snn["trial"] == dnn["trial"] == 0
    assert snn["layers"] == dnn["layers"] and snn["label"] == dnn["label"]
    assert snn["condition"].startswith("LIF, ") and snn["model"] == "snn"
    assert (dnn["condition"], dnn["model"], dnn["neuron"], dnn["reset"]) == ("DNN", "dnn",
                                                                              None, None)
    assert (snn["proxy_source"], dnn["proxy_source"]) == (STUDY, MEASURED)
    assert snn["proxy_study"] == STUDY_NAME and dnn["proxy_study"] is None
    assert 0.0 <= dnn["proxy_accuracy"] <= 1.0 and 0.0 <= dnn["test_accuracy"] <= 1.0
    assert dnn["spikes_per_layer"] is None and dnn["spikes"] is None
    assert len(snn["spikes_per_layer"]) == TINY.layers and snn["run_id"] != dnn["run_id"]
    stored = RunStore().get_run(dnn["run_id"])
    assert stored.config["time_steps"] == 1 and stored.config["condition"] == "DNN"
    assert stored.config["searched_condition"] == snn["condition"] and stored.has_weights
    # the SNN is priced by its synaptic operations against the same-shape ANN's MACs
    energy = _json(capsys, "energy", "--hardware", "ops", "--run", str(snn["run_id"]), "--json")
    assert energy["energy_per_frame_j"] > 0 and energy["ann_energy_j"] > 0
    assert main(["energy", "--hardware", "ops", "--run", str(dnn["run_id"]), "--json"]) == 2
    assert "DNN baseline" in capsys.readouterr().err.strip().splitlines()[-1]

    monkeypatch.setattr("core.nas.retrain.load_full", _nothing)  # a finished request
    monkeypatch.setattr("core.nas.retrain_conditions.train_architecture", _nothing)
    again = _json(capsys, *_argv(url, "--as", "dnn", "--as", "same"))
    assert [r["run_id"] for r in again["architectures"]] == [dnn["run_id"], snn["run_id"]]
    assert all(r["skipped"] for r in again["architectures"])
    assert again["architectures"][0]["proxy_accuracy"] == dnn["proxy_accuracy"]
    own = _json(capsys, *_argv(url))  # no --as: the trial's own, the run key it always had
    assert [(r["run_id"], r["skipped"]) for r in own["architectures"]] == [(snn["run_id"],
                                                                            True)]


def _dnn_study_beside(study_db: Path, tmp_path: Path, arch: Architecture) -> str:
    """A copy of ``study_db`` with a DNN study (same data and preset) whose trial 0 is
    ``arch``'s layers as the DNN."""
    path = tmp_path / "with-dnn.db"
    shutil.copy(study_db, path)
    url = f"sqlite:///{path}"
    study, spec = open_study(make_storage(url), "tiny-dnn", SearchSpec("random", model="dnn"))
    study.enqueue_trial(params_from_architecture(Architecture("dnn", arch.layers)))
    run_search(study, spec, Budget(trials=1), trainer.prepare_data("digits", TINY))
    return url


def test_the_proxy_is_a_studys_trial_when_one_holds_it_and_measured_alike_otherwise(
        study_db, tmp_path, monkeypatch):
    url = f"sqlite:///{study_db}"
    alone = plan(RetrainRequest(url, STUDY_NAME, "digits", trial=0, conditions=("dnn",)))
    (unit,) = alone.units
    assert unit.converted and unit.proxy is None
    with_dnn = plan(RetrainRequest(_dnn_study_beside(study_db, tmp_path, unit.architecture),
                                   STUDY_NAME, "digits", trial=0, conditions=("dnn",)))
    (found,) = with_dnn.units
    assert (found.proxy.source, found.proxy.study, found.proxy.trial) == (STUDY, "tiny-dnn", 0)
    # measured as the search trains a trial (recipe, split, seed = the trial's number): the
    # DNN study's trial 0 scored exactly this
    cache = tmp_path / "proxy.json"
    data = lambda: trainer.prepare_data("digits", TINY)  # noqa: E731
    measured = measure(unit.architecture, 0, alone.spec, data, cache)
    assert measured.source == MEASURED and measured.accuracy == found.proxy.accuracy
    monkeypatch.setattr("core.nas.retrain_conditions.train_architecture", _nothing)
    assert measure(unit.architecture, 0, alone.spec, data, cache) == measured  # the cache
    own = Unit(unit.candidate, unit.candidate.architecture, None)
    assert run_key(alone, unit) != run_key(alone, own)


def test_a_stop_while_measuring_the_proxy_resumes_to_the_same_runs(study_db, tmp_path):
    url = f"sqlite:///{study_db}"
    checked = plan(RetrainRequest(url, STUDY_NAME, "digits", trial=0, epochs=2,
                                  max_train_samples=400, conditions=("same", "dnn")))
    for folder in ("a", "b"):  # each its own checkpoints and measured proxies
        (tmp_path / folder).mkdir()
    whole = retrain(checked, RunStore(tmp_path / "a" / "runs.db"))
    store, stop, starts = RunStore(tmp_path / "b" / "runs.db"), threading.Event(), []

    def stop_at_second_training(item) -> None:  # the SNN's training, then the DNN's proxy
        if item.epoch == 1 and item.batch == 1:
            starts.append(item)
        if len(starts) == 2:
            stop.set()

    out = retrain(checked, store, stop=stop, progress=stop_at_second_training)
    assert out["stopped"] and [r["condition"] for r in out["architectures"]] == [
        whole["architectures"][0]["condition"]]
    assert not list((tmp_path / "b" / CHECKPOINTS).glob("proxy-*.json"))
    resumed = retrain(checked, store)
    assert [r["skipped"] for r in resumed["architectures"]] == [True, False]
    keys = ("condition", "proxy_accuracy", "proxy_source", "val_accuracy", "test_accuracy")
    for done, ref in zip(resumed["architectures"], whole["architectures"], strict=True):
        assert {k: done[k] for k in keys} == {k: ref[k] for k in keys}


@pytest.mark.parametrize("value, message", [("lif-sfot", "Unknown condition 'lif-sfot'"),
                                            ("", "at least one condition"),
                                            ("snn", "Unknown condition 'snn'")])
def test_a_bad_condition_is_one_line_and_touches_nothing(capsys, study_db, tmp_path, value,
                                                         message):
    code = main(_argv(f"sqlite:///{study_db}", f"--as={value}"))
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip().splitlines()[-1]]
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "runs.db").exists() and not (tmp_path / CHECKPOINTS).exists()
    assert optuna.study.get_all_study_names(f"sqlite:///{study_db}") == [STUDY_NAME]
    assert len(study_records(optuna.load_study(study_name=STUDY_NAME,
                                               storage=f"sqlite:///{study_db}"))) == 2
