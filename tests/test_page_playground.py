"""AppTest of the SNN Playground page: play, pause, step, edit a weight, URL round trip."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.url_roundtrip import notices, roundtrip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def new_app(**params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(params)
    return at.run()


def test_play_pause_step_and_edit_a_weight() -> None:
    at = new_app(points="200")
    assert not at.exception
    assert metric(at, "Step") == "0"
    at.button(key="pg_play").click().run()
    deadline = time.monotonic() + 30
    while int(metric(at, "Step")) < 10 and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert int(metric(at, "Step")) >= 10
    at.button(key="pg_pause").click().run()
    time.sleep(0.5)
    paused = int(metric(at.run(), "Step"))
    at.button(key="pg_step_btn").click().run()
    assert int(metric(at, "Step")) == paused + 1
    at.selectbox(key="pg_edge").set_value("1:2:3").run()
    at.number_input(key="pg_w_1:2:3").set_value(4.5).run()
    at.button(key="pg_set_weight").click().run()
    assert not at.exception
    assert any("L1 2 → L2 3 = 4.500" in s.value for s in at.success)
    assert at.session_state["pg_runner"].weight(1, 2, 3) == 4.5


def test_url_round_trips_the_configuration() -> None:
    at = new_app(data="xor", hidden="4-6-3", enc="latency", lr="0.01", seed="7")
    assert not at.exception
    config = at.session_state["pg_runner"].config
    assert config.toy.name == "xor" and config.network.hidden == (4, 6, 3)
    assert config.encoding.kind == "latency" and config.lr == 0.01 and config.seed == 7
    at.button(key="pg_plus_1").click().run()
    assert at.query_params["hidden"] == "4-7-3"
    assert at.session_state["pg_runner"].config.network.hidden == (4, 7, 3)
    at.button(key="pg_del_layer").click().run()
    assert at.query_params["hidden"] == "4-7"


def test_neuron_inspector_and_bad_url() -> None:
    at = new_app(hidden="nonsense", steps="9999", data="donut")
    assert not at.exception
    assert at.slider(key="pg_steps").value == 60
    assert at.selectbox(key="pg_data").value == "moons"
    at.selectbox(key="pg_probe_neuron").set_value("L2 3").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 3


def test_widgets_round_trip_through_the_url() -> None:
    def change(at: AppTest) -> None:
        at.selectbox(key="pg_data").set_value("spirals").run()
        at.slider(key="pg_noise").set_value(0.2).run()
        at.select_slider(key="pg_lr").set_value(0.1).run()
        at.radio(key="pg_reset").set_value("hard").run()
        at.button(key="pg_add_layer").click().run()

    keys = ["pg_data", "pg_noise", "pg_lr", "pg_reset", "pg_hidden"]
    again, query = roundtrip(PAGE, change, keys)
    assert query["data"] == "spirals" and query["hidden"] == "8-8-4"
    assert again.session_state["pg_runner"].config.lr == 0.1


def test_a_learning_rate_off_the_slider_is_noted() -> None:
    at = new_app(lr="0.05", hidden="x-y")
    assert not at.exception
    assert at.select_slider(key="pg_lr").value == 0.03
    assert "`lr`" in notices(at) and "`hidden=x-y`" in notices(at)
