"""Training page: a tiny run trains in the background, is saved, inspected and reopened."""

from __future__ import annotations

import json
import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.support import ROOT, open_page, wait_while_running
from tests.url_roundtrip import fresh, notices, roundtrip


@pytest.fixture
def app(tmp_path, monkeypatch):
    return open_page("training.py", tmp_path, monkeypatch)


def set_tiny(at: AppTest) -> None:
    at.number_input(key="tr_hidden").set_value(16)
    at.number_input(key="tr_steps").set_value(20)
    at.number_input(key="tr_epochs").set_value(2)
    at.number_input(key="tr_max_train").set_value(128)
    at.run()


def wait_for_job(at: AppTest, limit: float = 60.0) -> None:
    wait_while_running(at, "tr_job", limit)


def test_page_starts_with_digits_defaults(app):
    assert app.selectbox(key="tr_dataset").value == "digits"
    assert app.number_input(key="tr_hidden").value == 100
    assert app.number_input(key="tr_steps").value == 50
    assert any("No saved runs" in i.value for i in app.info)


def test_switching_data_set_loads_its_defaults(app):
    app.selectbox(key="tr_dataset").set_value("braille").run()
    assert app.number_input(key="tr_hidden").value == 450
    assert app.toggle(key="tr_recurrent").value is True
    app.selectbox(key="tr_dataset").set_value("shd").run()
    assert app.number_input(key="tr_hidden").value == 200
    assert not app.exception


def test_tiny_run_trains_saves_and_is_inspected(app):
    set_tiny(app)
    app.button(key="tr_start").click().run()
    wait_for_job(app)
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    labels = [m.label for m in app.metric]
    assert "Test accuracy" in labels and "Spikes per sample" in labels
    run_id = app.session_state["tr_run"]
    assert app.dataframe[0].value["id"].tolist() == [run_id]
    app.number_input(key="tr_sample").set_value(3).run()
    assert not app.exception
    assert any("predicted" in c.value for c in app.caption)
    app.multiselect(key="tr_compare").set_value([run_id]).run()
    assert not app.exception


def test_stop_button_keeps_a_stopped_run(app):
    set_tiny(app)
    app.number_input(key="tr_epochs").set_value(500).run()
    app.button(key="tr_start").click().run()
    assert "tr_job" in app.session_state  # still training: the Stop button is shown
    app.button(key="tr_stop").click().run()
    wait_for_job(app)
    assert not app.exception
    assert any("(stopped)" in str(m.value) for m in app.metric)


def test_bad_parameter_shows_an_error_not_a_traceback(app):
    app.number_input(key="tr_lr").set_value(0.0).run()
    assert not app.exception
    assert any("lr must be a positive number" in e.value for e in app.error)
    assert app.button(key="tr_start").disabled


def test_missing_data_is_explained(app, tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "empty_cache"))
    app.selectbox(key="tr_dataset").set_value("braille").run()
    app.number_input(key="tr_epochs").set_value(1).run()
    app.button(key="tr_start").click().run()
    wait_for_job(app)
    assert not app.exception
    assert any("Training failed" in e.value for e in app.error)


def test_a_run_of_another_neuron_trains_and_opens_without_a_nir_download(app):
    """An adaptive-LIF run (reference engine) is saved, listed with its neuron and inspected;
    NIR has no node for it, so the page says so instead of offering the download."""
    set_tiny(app)
    app.selectbox(key="tr_neuron").set_value("alif").run()
    app.button(key="tr_start").click().run()
    wait_for_job(app)
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    assert app.dataframe[0].value["neuron"].tolist() == ["alif"]
    assert any("cannot be exported" in c.value for c in app.caption)
    assert "Test accuracy" in [m.label for m in app.metric]


def test_a_run_too_big_for_memory_fails_with_one_clear_sentence(app):
    app.number_input(key="tr_hidden").set_value(4096)
    app.number_input(key="tr_steps").set_value(2000)
    app.number_input(key="tr_batch_size").set_value(4096)
    app.run()
    app.button(key="tr_start").click().run()
    wait_for_job(app)
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert error.startswith("Training failed: This run needs about") and "GB of memory" in error
    assert ".." not in error


def test_url_round_trips_the_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))

    def change(at: AppTest) -> None:
        at.selectbox(key="tr_dataset").set_value("braille").run()
        at.number_input(key="tr_hidden").set_value(64).run()
        at.number_input(key="tr_reg").set_value(1e-4).run()
        at.selectbox(key="tr_neuron").set_value("if").run()
        at.number_input(key="tr_max_train").set_value(256).run()

    keys = ["tr_dataset", "tr_hidden", "tr_reg", "tr_neuron", "tr_max_train", "tr_recurrent",
            "tr_steps"]
    again, query = roundtrip(str(ROOT / "pages" / "training.py"), change, keys)
    # the data set's defaults (braille: recurrent, its steps) stay out of the link
    assert query == {"dataset": "braille", "hidden": "64", "reg": "0.0001", "neuron": "if",
                     "max_train": "256"}
    assert again.session_state["tr_recurrent"] is True
    assert "tr_job" not in again.session_state  # opening a link never starts training


def test_a_linked_run_opens_and_a_stale_one_is_noted(app, tmp_path):
    set_tiny(app)
    app.button(key="tr_start").click().run()
    wait_for_job(app)
    run_id = app.session_state["tr_run"]
    assert app.query_params["run"] == str(run_id)
    page = str(ROOT / "pages" / "training.py")
    opened = fresh(page, {"run": str(run_id), "sample": "2"})
    assert not opened.exception
    assert "Test accuracy" in [m.label for m in opened.metric]
    assert opened.number_input(key="tr_sample").value == 2
    labels = {b.proto.label for b in opened.get("download_button")}
    assert {"Download run (JSON)", "Download curves (CSV)", "Download table (CSV)"} <= labels
    gone = fresh(page, {"run": "9999", "compare": f"{run_id},777", "hidden": "lots"})
    assert not gone.exception
    text = notices(gone)
    assert "run 9999 is not in this run store" in text and "777" in text and "`hidden`" in text
    assert gone.multiselect(key="tr_compare").value == [run_id]


def test_open_run_follows_a_newly_finished_run(app):
    """Issue 25: after a second run finishes, the *Open run* selector names it (not the run
    before), and the page shows it."""
    set_tiny(app)
    app.number_input(key="tr_epochs").set_value(1).run()
    app.button(key="tr_start").click().run()
    wait_for_job(app)
    first = app.session_state["tr_run"]
    assert app.selectbox(key="tr_open").value == first
    app.number_input(key="tr_seed").set_value(1).run()
    app.button(key="tr_start").click().run()
    wait_for_job(app)
    second = app.session_state["tr_run"]
    assert second != first and app.selectbox(key="tr_open").value == second
    assert any(h.value == f"Run {second}" for h in app.subheader)
    app.selectbox(key="tr_open").set_value(first).run()  # picked, not opened: it stays picked
    assert app.selectbox(key="tr_open").value == first and app.session_state["tr_run"] == second


def test_the_live_chart_shows_the_epochs_the_progress_line_counts(app, monkeypatch):
    """Issue 25: the live chart is drawn from the snapshot the progress line shows, at every
    poll, so it never lags behind it (it lagged by up to 10 s)."""
    import core.jobs

    monkeypatch.setattr(core.jobs, "LIVE_CHART_AFTER", 0.0)
    set_tiny(app)
    app.number_input(key="tr_epochs").set_value(1000).run()
    app.button(key="tr_start").click().run()
    checked = 0
    deadline = time.monotonic() + 60
    while checked < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        app.run()
        bars = app.get("progress")
        match = re.search(r"epoch (\d+)/1000", bars[0].proto.text) if bars else None
        if match is None or int(match.group(1)) < 2:
            continue
        (live,) = [c for c in app.get("plotly_chart") if "run train" in c.proto.spec]
        epochs = json.loads(live.proto.spec)["data"][0]["x"]
        assert len(epochs) == int(match.group(1)) - 1  # the finished epochs, all of them
        checked += 1
    app.button(key="tr_stop").click().run()
    wait_for_job(app)
    assert checked == 3 and not app.exception
