"""AppTest of the app's entry point: the Home gallery and the settings every page shares."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from app.charts import PRESENT_FONT, SLIDE_HEIGHT, SLIDE_WIDTH, enlarge
from core.demos import DEMOS
from tests.url_roundtrip import notices, query_of

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))


def open_app(**query: str) -> AppTest:
    app = AppTest.from_file(MAIN, default_timeout=120)
    app.query_params.update(query)
    return app.run()


def test_home_shows_a_card_and_a_link_per_demo() -> None:
    app = open_app()
    assert not app.exception
    links = [m.value for m in app.markdown if "Open the demo" in m.value]
    assert sorted(link.split("(")[-1].rstrip(")") for link in links) == sorted(
        d.url for d in DEMOS)
    assert any("A (soft) fires" in m.value for m in app.markdown)
    assert sum("Needs a run" in m.value for m in app.markdown) == sum(bool(d.needs)
                                                                     for d in DEMOS)


def test_presentation_mode_and_format_round_trip_through_the_url() -> None:
    app = open_app()
    app.toggle(key="app_present").set_value(True).run()
    app.get("segmented_control")[0].set_value("svg").run()
    assert not app.exception
    query = query_of(app)
    assert query == {"present": "1", "fmt": "svg"}
    again = open_app(**query)
    assert again.toggle(key="app_present").value is True
    assert again.session_state["app_fmt"] == "svg"
    assert query_of(again) == query


def test_bad_settings_in_the_link_fall_back_with_a_notice() -> None:
    app = open_app(fmt="jpeg", present="maybe")
    assert not app.exception
    assert "`fmt`" in notices(app) and "`present`" in notices(app)
    assert app.session_state["app_fmt"] == "png" and app.session_state["app_present"] is False


def test_enlarge_scales_fonts_lines_and_height_without_touching_the_original() -> None:
    fig = go.Figure(go.Scatter(y=[0, 1], line={"width": 1.5})).update_layout(height=300)
    big = enlarge(fig)
    assert big.layout.font.size == PRESENT_FONT and big.layout.height == 420
    assert big.data[0].line.width == 3.0 and fig.data[0].line.width == 1.5
    assert SLIDE_WIDTH / SLIDE_HEIGHT == 16 / 9


def test_a_demo_card_is_dropped_away_from_its_page() -> None:
    app = open_app(demo="reset")  # the reset demo belongs to Neuron dynamics, not Home
    assert not app.exception
    assert not [i for i in app.info if "Demo:" in i.value]
    assert "demo" not in query_of(app)
    assert "`demo`" in notices(open_app(demo="no-such-demo"))


def test_a_demo_banner_repeats_the_number_to_look_for() -> None:
    from app.demo_look import look_for
    from core.demos import PROMISES, expectations, promise

    numbers = expectations()
    for demo in DEMOS:
        if demo.id in PROMISES:
            assert look_for(demo.id) == promise(demo.id, numbers[demo.id]), demo.id
        else:
            assert look_for(demo.id) is None and demo.needs, demo.id
