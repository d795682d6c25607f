"""Grid-search page: a tiny grid runs in the background, fills the table, and can be reopened."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.support import open_page, wait_while_running


@pytest.fixture
def app(tmp_path, monkeypatch):
    return open_page("grid_search.py", tmp_path, monkeypatch)


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
