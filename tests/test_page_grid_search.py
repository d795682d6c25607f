"""Grid-search page: a tiny grid runs in the background, fills the table, and can be reopened."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.support import ROOT, open_page, wait_while_running
from tests.url_roundtrip import fresh, notices, roundtrip


@pytest.fixture
def app(tmp_path, monkeypatch):
    return open_page("grid_search.py", tmp_path, monkeypatch)


def plain(text: str) -> str:
    """Markdown text without its backslash escapes (``app.text.md``), as a visitor reads it."""
    return re.sub(r"\\(.)", r"\1", text)


def tiny_grid(at: AppTest, study: str) -> None:
    at.text_input(key="gs_grid_hidden").set_value("4,8")
    at.text_input(key="gs_grid_steps").set_value("10")
    at.text_input(key="gs_grid_scale").set_value("100")
    at.text_input(key="gs_grid_reg").set_value("0")
    at.number_input(key="gs_epochs").set_value(1)
    at.number_input(key="gs_max_train").set_value(64)
    at.text_input(key="gs_study").set_value(study)
    at.run()


def wait_for_job(at: AppTest, limit: float = 60.0) -> None:
    wait_while_running(at, "gs_job", limit)


def test_page_defaults_to_the_thesis_grid(app, tmp_path):
    assert app.text_input(key="gs_grid_hidden").value == "100,200,300"
    assert app.text_input(key="gs_grid_reg").value == "1e-06,2e-06,0.01"
    assert app.text_input(key="gs_storage").value.endswith("sweeps.db")
    assert str(tmp_path) in app.text_input(key="gs_storage").value


def test_tiny_search_fills_the_table_and_reopens(app):
    tiny_grid(app, "first")
    app.button(key="gs_launch").click().run()
    wait_for_job(app)
    assert not app.exception and not app.error, [e.value for e in app.error]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Points done"] == "2/2"
    assert "Best test accuracy" in metrics
    table = app.dataframe[0].value
    assert sorted(table["hidden"].tolist()) == [4, 8]
    tiny_grid(app, "second")
    app.text_input(key="gs_grid_hidden").set_value("4").run()
    app.button(key="gs_launch").click().run()
    wait_for_job(app)
    assert not app.exception
    assert app.selectbox(key="gs_reopen").options == ["first"]
    assert len(app.dataframe) == 2


def test_bad_grid_is_explained(app):
    app.text_input(key="gs_grid_hidden").set_value("many").run()
    assert not app.exception
    assert any("hidden" in e.value for e in app.error)
    assert app.button(key="gs_launch").disabled


def test_unusable_storage_is_explained(app):
    app.text_input(key="gs_storage").set_value("nosuchdb://x").run()
    assert not app.exception
    assert any("storage URL" in e.value for e in app.error)


def test_url_round_trips_the_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))

    def change(at: AppTest) -> None:
        at.selectbox(key="gs_dataset").set_value("fashion-mnist").run()
        at.text_input(key="gs_grid_reg").set_value("1e-6,1e-4").run()
        at.text_input(key="gs_grid_hidden").set_value("100").run()
        at.number_input(key="gs_epochs").set_value(3).run()
        at.text_input(key="gs_study").set_value("cliff").run()

    keys = ["gs_dataset", "gs_grid_reg", "gs_grid_hidden", "gs_epochs", "gs_study"]
    again, query = roundtrip(str(ROOT / "pages" / "grid_search.py"), change, keys)
    assert query == {"dataset": "fashion-mnist", "grid_reg": "1e-6,1e-4", "grid_hidden": "100",
                     "epochs": "3", "study": "cliff"}
    assert "gs_job" not in again.session_state  # opening a link never starts the search


def test_a_password_stays_out_of_the_link_and_a_stale_study_is_noted(app, tmp_path):
    tiny_grid(app, "first")
    app.button(key="gs_launch").click().run()
    wait_for_job(app)
    page = str(ROOT / "pages" / "grid_search.py")
    at = fresh(page, {"study": "other", "reopen": "gone", "epochs": "-4"})
    assert not at.exception
    assert "study 'gone' is not stored" in plain(notices(at)) and "`epochs=-4`" in notices(at)
    assert at.selectbox(key="gs_reopen").value == "first"
    at.text_input(key="gs_storage").set_value("postgresql://me:secret@127.0.0.1:1/x").run()
    assert "storage" not in dict(at.query_params)
    assert at.text_input(key="gs_storage").value == "postgresql://me:***@127.0.0.1:1/x"
