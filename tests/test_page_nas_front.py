"""AppTest of the NAS page's accuracy-energy panel: fronts, hypervolumes, link state."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
import pytest
from streamlit.testing.v1 import AppTest

from core.nas import trainer, work
from core.nas.study import Budget, SearchSpec, make_storage, open_study, run_search
from core.store import RunStore
from tests.nas_support import TINY, single_thread, tiny_search
from tests.url_roundtrip import fresh, query_of

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "nas.py")
HARDWARE = str(Path(__file__).resolve().parents[1] / "pages" / "hardware.py")
ENERGY = ("accuracy", "energy")


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    monkeypatch.setattr(work, "search", tiny_search)
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    yield from single_thread()


def _frame(at, columns: set[str]):
    """The first table of the page with these columns."""
    return next(d.value for d in at.dataframe if columns <= set(d.value.columns))


@pytest.fixture()
def storage(tmp_path) -> str:
    """Two accuracy-and-energy studies (an SNN searching neuron and reset, the DNN)."""
    url = f"sqlite:///{tmp_path / 'front.db'}"
    data = trainer.prepare_data("digits", TINY)
    store = RunStore()
    for spec in (SearchSpec("random", objectives=ENERGY),
                 SearchSpec("nsga2", model="dnn", objectives=ENERGY)):
        study, spec = open_study(make_storage(url), spec.default_name, spec)
        run_search(study, spec, Budget(trials=3), data, store=store)
    return url


def test_the_front_panel_draws_fronts_tables_and_a_trial_to_open(storage):
    at = fresh(PAGE, {"storage": storage})
    at.button(key="nas_open").click().run()
    assert not at.exception, at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # spikes, best so far, and the fronts
    codes = at.multiselect(key="nas_front").value
    assert "DNN" in codes and all("," not in c for c in codes)
    assert at.toggle(key="nas_front_log").value is True
    per_study = _frame(at, {"study", "seed", "hypervolume"})
    assert set(per_study["algorithm"]) == {"Random", "DNN (NSGA-II)"}
    assert (per_study["hypervolume"] > 0).all()
    assert len(_frame(at, {"algorithm", "hypervolume_mean", "hypervolume_std"})) == 2
    assert len(_frame(at, {"val_accuracy", "energy_j", "energy_breakdown"})) >= 1
    assert at.selectbox(key="nas_front_point").value
    assert any("Hardware page" in m.value and "run=" in m.value for m in at.markdown)
    assert any("Hypervolume reference" in c.value for c in at.caption)
    assert any("stops beating the DNN" in c.value or "every accuracy the DNN reaches" in c.value
               for c in at.caption)  # both kinds are shown: where the SNN stops being cheaper
    at.multiselect(key="nas_front").set_value(["DNN"]).run()
    at.toggle(key="nas_front_log").set_value(False).run()
    assert not at.exception
    query = query_of(at)
    assert query["front"] == "DNN" and query["front_log"] == "0"
    again = fresh(PAGE, query)
    again.button(key="nas_open").click().run()
    assert not again.exception
    assert again.multiselect(key="nas_front").value == ["DNN"]
    assert again.toggle(key="nas_front_log").value is False


def test_a_linked_condition_that_is_not_one_is_noted(storage):
    at = fresh(PAGE, {"storage": storage, "front": "LIF-Soft,<b>x</b>"})
    assert not at.exception
    assert any("`front`" in i.value for i in at.info)


def test_a_front_trial_costs_on_the_hardware_page_what_the_search_recorded(storage):
    """The Hardware page prices a front trial's run as the search did, to the last digit."""
    study = optuna.load_study(study_name="digits-snn-random-small-energy-ops", storage=storage)
    trial = study.trials[0]
    at = AppTest.from_file(HARDWARE, default_timeout=60).run()
    at.radio(key="hw_source").set_value("A saved run").run()
    at.selectbox(key="hw_run").set_value(trial.user_attrs["run_id"]).run()
    assert not at.exception
    at.button(key="hw_save").click().run()
    assert not at.exception
    priced = RunStore().list_runs(kind="hardware")[0].metrics["ops"]
    assert priced["energy_per_frame_j"] == trial.values[1] == trial.user_attrs["energy_j"]
    assert priced["synaptic_ops"] == trial.user_attrs["synaptic_ops"]
    assert priced["breakdown"] == trial.user_attrs["energy_breakdown"]


def test_launch_an_accuracy_and_energy_search_from_the_page(tmp_path):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["nas_storage"] = str(tmp_path / "launch.db")
    at.run()
    at.selectbox(key="nas_algorithm").set_value("nsga2")
    at.checkbox(key="nas_energy").set_value(True)
    at.number_input(key="nas_trials").set_value(2)
    at.button(key="nas_start").click().run()
    deadline = time.monotonic() + 90
    while not at.session_state["nas_job"].finished and time.monotonic() < deadline:
        time.sleep(0.3)
    at.run()
    assert not at.exception and at.session_state["nas_job"].snapshot().state == "done"
    assert at.multiselect(key="nas_studies").value == ["digits-snn-nsga2-small-energy-ops"]
    assert len(at.get("plotly_chart")) == 3
