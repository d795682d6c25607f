"""AppTest of the NAS page: launch a search, watch it finish, open studies, errors shown."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.nas import trainer, work
from core.nas.study import Budget, SearchSpec, make_storage, open_study, run_search
from core.progress import Count
from tests.nas_support import TINY, single_thread, tiny_search
from tests.url_roundtrip import fresh, notices, roundtrip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "nas.py")


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    monkeypatch.setattr(work, "search", tiny_search)  # the page's job trains TINY too
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    yield from single_thread()


def plain(text: str) -> str:
    """Markdown text without its backslash escapes (``app.text.md``), as a visitor reads it."""
    return re.sub(r"\\(.)", r"\1", text)


def _app(storage: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["nas_storage"] = storage
    return at.run()


def _wait(at: AppTest) -> AppTest:
    deadline = time.monotonic() + 60
    while not at.session_state["nas_job"].finished and time.monotonic() < deadline:
        time.sleep(0.3)
    return at.run()


def test_launch_a_search_and_see_the_study(tmp_path):
    at = _app(str(tmp_path / "page.db"))
    assert not at.exception
    assert any("No finished trial" in i.value for i in at.info)
    at.selectbox(key="nas_algorithm").set_value("bayesian")
    at.selectbox(key="nas_neuron").set_value("LIF")
    at.number_input(key="nas_trials").set_value(3)
    at.button(key="nas_start").click().run()
    assert not at.exception
    at = _wait(at)
    assert not at.exception
    snap = at.session_state["nas_job"].snapshot()
    assert snap.state == "done" and snap.progress == Count(3, 3, "trials")
    assert at.multiselect(key="nas_studies").value == ["digits-snn-bayesian-small-LIF"]
    assert next(m.value for m in at.metric if m.label == "Finished trials") == "3"
    table = at.dataframe[0].value
    assert set(table["condition"]) <= {"LIF, Hard (Bayesian)", "LIF, Soft (Bayesian)"}
    assert {"layer 1", "layer 2"} <= set(table.columns)
    averages = at.dataframe[1].value
    assert list(averages["algorithm"]) == ["Bayesian"] and averages["trials"][0] == 3
    assert len(at.get("plotly_chart")) == 2
    at.radio(key="nas_x_axis").set_value("seconds").run()
    assert not at.exception


def test_studies_from_a_shared_storage_and_the_dnn(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    data = trainer.prepare_data("digits", TINY)
    for spec in (SearchSpec("random", reset="hard"), SearchSpec("greedy", model="dnn")):
        study, spec = open_study(make_storage(url), spec.default_name, spec)
        run_search(study, spec, Budget(trials=2), data)
    at = _app(url)
    assert not at.exception
    assert sorted(at.multiselect(key="nas_studies").value) == [
        "digits-dnn-greedy-small", "digits-snn-random-small-hard"]
    groups = set(at.dataframe[1].value["algorithm"])
    assert groups == {"DNN (Greedy)", "Random"}
    assert any(c.startswith("DNN (Greedy)") for c in at.dataframe[0].value["condition"])


def test_errors_are_shown_not_raised(tmp_path):
    at = _app("postgresql://nobody@127.0.0.1:1/none")
    assert not at.exception
    assert any("Cannot open the study storage" in e.value for e in at.error)
    at = _app(str(tmp_path / "e.db"))
    at.selectbox(key="nas_dataset").set_value("cifar10")
    at.button(key="nas_start").click().run()
    at = _wait(at)
    assert not at.exception
    assert any("cifar-10-python.tar.gz" in plain(e.value) for e in at.error)
    assert at.session_state["nas_job"].snapshot().state == "failed"


def test_stop_a_running_search(tmp_path):
    at = _app(str(tmp_path / "stop.db"))
    at.number_input(key="nas_trials").set_value(500)
    at.button(key="nas_start").click().run()
    assert at.button(key="nas_start").disabled and not at.button(key="nas_stop").disabled
    at.button(key="nas_stop").click().run()
    at = _wait(at)
    snap = at.session_state["nas_job"].snapshot()
    assert snap.state == "stopped" and snap.progress.done < 500
    assert not at.exception and not at.button(key="nas_start").disabled


def test_url_round_trips_the_configuration(tmp_path, monkeypatch):
    from core.store.studies import NAS_DB, default_storage

    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    assert default_storage(NAS_DB)  # the storage opens at the default URL: not in the link

    def change(at: AppTest) -> None:
        at.selectbox(key="nas_algorithm").set_value("random").run()
        at.selectbox(key="nas_reset").set_value("soft").run()
        at.number_input(key="nas_trials").set_value(8).run()
        at.toggle(key="nas_live").set_value(False).run()

    keys = ["nas_algorithm", "nas_reset", "nas_trials", "nas_live"]
    again, query = roundtrip(PAGE, change, keys)
    assert query == {"algorithm": "random", "reset": "soft", "trials": "8", "live": "0"}
    assert again.session_state["nas_job"] is None  # opening a link never starts a search


def test_linked_studies_open_and_missing_ones_are_noted(tmp_path):
    url = str(tmp_path / "linked.db")
    data = trainer.prepare_data("digits", TINY)
    spec = SearchSpec("random", reset="hard")
    study, spec = open_study(make_storage(url), spec.default_name, spec)
    run_search(study, spec, Budget(trials=2), data)
    at = fresh(PAGE, {"storage": url, "studies": f"{spec.default_name},ghost",
                      "neuron": "HH", "trials": "0"})
    assert not at.exception
    assert any("nothing is read" in plain(i.value) for i in at.info)  # it waits for the button
    assert not at.get("multiselect")
    first = notices(at)
    assert "`neuron`" in first and "`trials=0` is out of range" in first
    at.button(key="nas_open").click().run()
    assert at.multiselect(key="nas_studies").value == [spec.default_name]
    assert "no study 'ghost'" in plain(notices(at))
    assert dict(at.query_params)["storage"] == url


def test_a_bad_value_alone_is_noted(tmp_path):
    at = fresh(PAGE, {"storage": str(tmp_path / "n.db"), "algorithm": "genetic"})
    assert not at.exception
    assert "`algorithm`" in notices(at)
    assert at.selectbox(key="nas_algorithm").value == "greedy"
