"""AppTest of the NAS page's full-scale retraining: both accuracy columns, the job button,
the conditions to retrain under (the trial's own and the same-shape DNN by default)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.nas import trainer
from core.nas.study import Budget, SearchSpec, make_storage, open_study, run_search
from tests.nas_support import TINY, tiny_environment

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "nas.py")
FULL = ("proxy_accuracy", "full_val_accuracy", "full_test_accuracy")


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    yield from tiny_environment(monkeypatch, tmp_path)


def _study(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'nas.db'}"
    spec = SearchSpec("random", neuron="LIF", reset="soft")
    study, spec = open_study(make_storage(url), "lif-soft", spec)
    run_search(study, spec, Budget(trials=2), trainer.prepare_data("digits", TINY))
    return url


def _frame(at: AppTest, key: str):
    """The per-condition table (``arch``, the page's first) or the full-scale one."""
    if key == "arch":
        return at.dataframe[0].value
    return next(d.value for d in at.dataframe if {"filters", "run_id"} <= set(d.value.columns))


def test_retrain_button_starts_a_job_and_both_columns_show(tmp_path):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["nas_storage"] = _study(tmp_path)
    at.run()
    assert not at.exception
    table = _frame(at, "arch")
    assert set(FULL) <= set(table.columns) and table["full_val_accuracy"].isna().all()
    assert any("retrained at full scale yet" in i.value for i in at.info)
    assert at.multiselect(key="nas_rt_as").value == ["same", "dnn"]
    at.number_input(key="nas_rt_epochs").set_value(1)
    at.button(key="nas_retrain").click().run()
    assert not at.exception
    job = at.session_state["nas_retrain_job"]
    assert job is not None and job.join(60)
    assert job.snapshot().state == "done", job.snapshot().error
    at.run()
    assert not at.exception
    full = _frame(at, "full")
    assert list(full["condition"]) == ["LIF, Soft", "DNN"] and set(FULL) <= set(full.columns)
    assert list(full["proxy_source"]) == ["study", "measured"]
    assert (full["searched"] == full["searched"][0]).all()  # one architecture, two conditions
    assert full["full_test_accuracy"].notna().all() and full["proxy_accuracy"].notna().all()
    table = _frame(at, "arch")
    assert table["full_val_accuracy"].notna().all()
    assert not at.button(key="nas_retrain").disabled


def test_the_conditions_chosen_are_the_runs_made(tmp_path):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["nas_storage"] = _study(tmp_path)
    at.run()
    at.multiselect(key="nas_rt_as").set_value([])
    at.button(key="nas_retrain").click().run()
    assert at.session_state["nas_retrain_job"] is None  # refused before any job
    assert any("at least one condition" in e.value for e in at.error) and not at.exception
    at.multiselect(key="nas_rt_as").set_value(["lif-hard"])
    at.number_input(key="nas_rt_epochs").set_value(1)
    at.button(key="nas_retrain").click().run()
    job = at.session_state["nas_retrain_job"]
    assert job.join(60) and job.snapshot().state == "done", job.snapshot().error
    at.run()
    full = _frame(at, "full")
    assert list(full["condition"]) == ["LIF, Hard"] and not at.exception
    assert full["searched"][0].startswith("LIF, Soft")
    assert _frame(at, "arch")["full_val_accuracy"].isna().all()  # not the searched condition


def test_a_refused_request_is_one_line(tmp_path):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["nas_storage"] = _study(tmp_path)
    at.run()
    at.selectbox(key="nas_rt_dataset").set_value("cifar10")
    at.number_input(key="nas_rt_epochs").set_value(1)
    at.button(key="nas_retrain").click().run()
    job = at.session_state["nas_retrain_job"]
    deadline = time.monotonic() + 60
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    assert not at.exception
    assert job.snapshot().state == "failed"
    assert any("The retraining failed" in e.value for e in at.error)


def test_stop_retraining_keeps_the_checkpoint(tmp_path):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["nas_storage"] = _study(tmp_path)
    at.run()
    at.number_input(key="nas_rt_epochs").set_value(1000)
    at.button(key="nas_retrain").click().run()
    assert not at.button(key="nas_retrain_stop").disabled
    job = at.session_state["nas_retrain_job"]
    deadline = time.monotonic() + 60  # until the first epoch is checkpointed
    while not list((tmp_path / "nas-retrain").glob("*.pt")) and time.monotonic() < deadline:
        time.sleep(0.2)
    at.button(key="nas_retrain_stop").click().run()
    assert job.join(60) and job.snapshot().state == "stopped"
    assert job.snapshot().result["stopped"] and job.snapshot().result["architectures"] == []
    assert list((tmp_path / "nas-retrain").glob("*.pt"))
    at.run()  # Stop asks the job to stop; the page's next poll finds it stopped
    assert not at.exception and not at.button(key="nas_retrain").disabled
    assert any("(stopped, " in i.value for i in at.info)  # how it ended, kept on the page
