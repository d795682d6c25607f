"""Issue 14's page requirement: the Training, ReL-PSP, Grid-search and NAS pages run the real
Fashion-MNIST from a local path (no download: the data cache is empty and downloads are off),
with progress and stop, and each saved run is priced on the Hardware page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.nas import trainer, work
from core.store import RunStore
from tests.nas_support import TINY, single_thread, tiny_search
from tests.support import FASHION, ROOT, isolate_store, wait_while_running


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_store(tmp_path, monkeypatch)


def page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=90).run()
    assert not at.exception
    return at


def priced(db: Path, run_id: int) -> dict[str, str]:
    """The Hardware page's headline figures for a saved run."""
    at = page("hardware.py")
    at.radio(key="hw_source").set_value("A saved run").run()
    at.selectbox(key="hw_run").set_value(run_id).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return {m.label: m.value for m in at.metric}


def test_training_runs_fashion_from_a_local_path_and_prices(isolated: Path) -> None:
    at = page("training.py")
    at.selectbox(key="tr_dataset").set_value("fashion-mnist").run()
    at.text_input(key="tr_data_path").set_value(str(FASHION))
    for key, value in {"tr_hidden": 32, "tr_steps": 50, "tr_epochs": 1, "tr_batch_size": 64,
                       "tr_max_train": 1024, "tr_lr": 0.002}.items():
        at.number_input(key=key).set_value(value)
    at.run()
    at.button(key="tr_start").click().run()
    assert at.get("progress"), "a running job shows its progress"
    assert at.button(key="tr_stop") is not None
    wait_while_running(at, "tr_job", 120)
    assert not at.exception and not at.error, [e.value for e in at.error]
    run = RunStore(isolated).list_runs(kind="surrogate")[0]
    assert run.config["dataset"] == "fashion-mnist" and run.metrics["test_accuracy"] > 0.3
    assert any("predicted" in c.value for c in at.caption)  # inspected from the local path
    assert "Synaptic ops" in priced(isolated, run.id)


def test_relpsp_runs_fashion_from_a_local_path_and_prices(isolated: Path) -> None:
    at = page("relpsp.py")
    at.selectbox(key="rp_dataset").set_value("fashion-mnist").run()  # its defaults, then ours
    at.text_input(key="rp_data_path").set_value(str(FASHION))
    at.slider(key="rp_epochs").set_value(1)
    at.number_input(key="rp_max_train").set_value(300)
    at.text_input(key="rp_hidden").set_value("16")
    at.select_slider(key="rp_batch").set_value(32)  # not Fashion-MNIST's 64: more steps on 300
    at.select_slider(key="rp_lr").set_value(1e-3)
    at.checkbox(key="rp_compare").uncheck().run()
    at.button(key="rp_train").click().run()
    assert at.get("progress") and at.button(key="rp_stop") is not None
    deadline = time.monotonic() + 180
    while not at.session_state["rp_job"].snapshot().finished and time.monotonic() < deadline:
        time.sleep(0.5)
    at.run()
    assert at.session_state["rp_job"].snapshot().state == "done"
    assert not at.exception and not at.error, [e.value for e in at.error]
    run = RunStore(isolated).list_runs(kind="relpsp")[0]
    assert run.config["dataset"] == "fashion-mnist" and run.metrics["test_accuracy"] > 0.3
    assert "Synaptic ops" in priced(isolated, run.id)


def test_grid_search_runs_fashion_from_a_local_path_and_prices(isolated: Path) -> None:
    at = page("grid_search.py")
    at.selectbox(key="gs_dataset").set_value("fashion-mnist").run()
    at.text_input(key="gs_data_path").set_value(str(FASHION))
    for name, value in {"hidden": "8,16", "steps": "20", "scale": "100", "reg": "0"}.items():
        at.text_input(key=f"gs_grid_{name}").set_value(value)
    at.number_input(key="gs_epochs").set_value(1)
    at.number_input(key="gs_max_train").set_value(128)
    at.text_input(key="gs_study").set_value("fashion").run()
    at.button(key="gs_launch").click().run()
    assert at.get("progress") and at.button(key="gs_stop") is not None
    wait_while_running(at, "gs_job", 180)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric}["Points done"] == "2/2"
    run = RunStore(isolated).list_runs(kind="surrogate")[0]
    assert run.config["dataset"] == "fashion-mnist"
    assert "Synaptic ops" in priced(isolated, run.id)


@pytest.fixture
def tiny_nas(monkeypatch: pytest.MonkeyPatch):
    """The search's trial recipe is the tests' tiny one (400 images, 1 epoch), one thread."""
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    monkeypatch.setattr(work, "search", tiny_search)
    yield from single_thread()


@pytest.mark.usefixtures("tiny_nas")
def test_nas_runs_fashion_from_a_local_path_and_prices(isolated: Path, tmp_path: Path) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "nas.py"), default_timeout=90)
    at.session_state["nas_storage"] = f"sqlite:///{tmp_path / 'nas.db'}"
    at.run()
    at.selectbox(key="nas_dataset").set_value("fashion-mnist")
    at.selectbox(key="nas_preset").set_value("small")
    at.text_input(key="nas_data_path").set_value(str(FASHION))
    at.number_input(key="nas_trials").set_value(2).run()
    at.button(key="nas_start").click().run()
    assert at.get("progress") and not at.button(key="nas_stop").disabled
    deadline = time.monotonic() + 180
    while not at.session_state["nas_job"].finished and time.monotonic() < deadline:
        time.sleep(0.5)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["nas_job"].snapshot().state == "done"
    assert next(m.value for m in at.metric if m.label == "Finished trials") == "2"
    run = RunStore(isolated).list_runs(kind="nas")[0]
    assert "Synaptic ops" in priced(isolated, run.id)


def test_a_fashion_training_run_stops_and_keeps_what_it_learned(isolated: Path) -> None:
    at = page("training.py")
    at.selectbox(key="tr_dataset").set_value("fashion-mnist").run()
    at.text_input(key="tr_data_path").set_value(str(FASHION))
    for key, value in {"tr_hidden": 16, "tr_steps": 20, "tr_epochs": 500,
                       "tr_max_train": 256}.items():
        at.number_input(key=key).set_value(value)
    at.run()
    at.button(key="tr_start").click().run()
    job = at.session_state["tr_job"]
    deadline = time.monotonic() + 60
    while job.snapshot().progress is None and time.monotonic() < deadline:
        time.sleep(0.2)  # the worker loaded the data and trains
    at.button(key="tr_stop").click().run()
    wait_while_running(at, "tr_job", 120)
    assert not at.exception and job.snapshot().state == "stopped"
    assert any("(stopped)" in str(m.value) for m in at.metric)
