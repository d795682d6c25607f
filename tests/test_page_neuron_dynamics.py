"""AppTest of the Neuron dynamics page: widgets change what is shown, never an exception."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.neurons.simulation import Neuron, simulate
from core.stimuli import InputSpec, make_input
from tests.url_roundtrip import fresh, notices, roundtrip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "neuron_dynamics.py")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60)
    return app.run()


def page_neuron(model: str, threshold: float, reset: str) -> Neuron:
    """A neuron with the page's default decays: the model's own (beta exp(-0.1), alpha
    exp(-0.2))."""
    return Neuron.make(model, threshold=threshold, reset=reset)


def expected_spikes(amplitude: float = 0.15, threshold: float = 1.0, onset: int = 10) -> int:
    x = make_input(InputSpec("step", amplitude, onset=onset), 200)
    return int(simulate(page_neuron("lif", threshold, "soft"), x).spikes.sum())


def test_defaults_show_the_computed_spike_count(at: AppTest) -> None:
    assert not at.exception
    assert metric(at, "Spikes (A)") == str(expected_spikes())
    assert len(at.get("plotly_chart")) >= 1


def test_threshold_slider_changes_the_result(at: AppTest) -> None:
    before = int(metric(at, "Spikes (A)"))
    at.slider(key="nd_a_threshold").set_value(1.3).run()
    assert not at.exception
    after = int(metric(at, "Spikes (A)"))
    assert after == expected_spikes(threshold=1.3) and after < before
    assert at.query_params["a_threshold"] == "1.3"


def test_compare_with_b(at: AppTest) -> None:
    at.toggle(key="nd_b_on").set_value(True).run()
    at.radio(key="nd_b_reset").set_value("hard").run()
    assert not at.exception
    x = make_input(InputSpec("step", 0.15, onset=10), 200)
    hard = int(simulate(page_neuron("lif", 1.0, "hard"), x).spikes.sum())
    assert metric(at, "Spikes (B)") == str(hard)


def test_url_restores_the_demo_and_clamps_bad_values() -> None:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params.update({"a_model": "synaptic", "a_reset": "hard", "amp": "0.5",
                             "steps": "999999", "a_threshold": "banana", "input": "square"})
    app.run()
    assert not app.exception
    assert app.selectbox(key="nd_a_model").value == "synaptic"
    assert app.slider(key="nd_steps").value == 2000
    assert app.slider(key="nd_a_threshold").value == 1.0
    assert app.selectbox(key="nd_input").value == "step"
    x = make_input(InputSpec("step", 0.5, onset=10), 2000)
    n = int(simulate(page_neuron("synaptic", 1.0, "hard"), x).spikes.sum())
    assert metric(app, "Spikes (A)") == str(n)


def test_time_constants_mode_derives_beta(at: AppTest) -> None:
    at.radio(key="nd_units").set_value("ms").run()
    at.slider(key="nd_a_tau_mem").set_value(20.0).run()
    assert not at.exception
    assert any(f"β = {np.exp(-1 / 20):.4f}" in c.value for c in at.caption)


def test_bad_spike_list_is_explained(at: AppTest) -> None:
    at.selectbox(key="nd_input").set_value("spikes").run()
    at.text_input(key="nd_times").set_value("10, soon").run()
    assert not at.exception
    assert any("separated by commas" in e.value for e in at.error)


def test_euler_warns_beyond_two_tau() -> None:
    at = fresh(PAGE, {"tab": "euler"})
    at.slider(key="nd_ode_tau").set_value(10.0).run()
    at.slider(key="nd_ode_dt").set_value(25.0).run()
    assert not at.exception
    assert any("diverges" in w.value for w in at.warning)


def test_relpsp_panel_shows_the_dead_alpha_neuron() -> None:
    at = fresh(PAGE, {"tab": "relpsp"})
    assert metric(at, "ReL-PSP spike time") == f"{(1 + 0.3 * 6) / 0.9:.4g}"
    assert metric(at, "Alpha-PSP spike time") == "silent"
    at.slider(key="nd_rp_scale").set_value(3.0).run()
    assert metric(at, "Alpha-PSP spike time") != "silent"


def test_only_the_open_tab_computes() -> None:
    at = fresh(PAGE, {"tab": "fi"})
    assert not at.exception
    assert not [m for m in at.metric if m.label == "Spikes (A)"]  # the membrane tab is closed
    assert any("Rheobase" in c.value or "silent" in c.value for c in at.caption)


def test_url_round_trips_the_configuration() -> None:
    def change(at: AppTest) -> None:
        at.selectbox(key="nd_a_model").set_value("if").run()
        at.radio(key="nd_a_reset").set_value("hard").run()
        at.slider(key="nd_a_threshold").set_value(1.5).run()
        at.toggle(key="nd_b_on").set_value(True).run()
        at.slider(key="nd_amp").set_value(0.4).run()
        at.slider(key="nd_steps").set_value(300).run()

    keys = ["nd_a_model", "nd_a_reset", "nd_a_threshold", "nd_b_on", "nd_amp", "nd_steps"]
    again, query = roundtrip(PAGE, change, keys)
    assert query["a_model"] == "if" and query["b_on"] == "1" and query["steps"] == "300"


def test_tab_round_trips() -> None:
    at = fresh(PAGE, {"tab": "euler", "ode_dt": "25", "ode_tau": "10"})
    assert any("diverges" in w.value for w in at.warning)
    assert dict(at.query_params)["tab"] == "euler"


def test_garbage_in_the_link_is_noted_not_raised() -> None:
    at = fresh(PAGE, {"steps": "1e999", "a_model": "hodgkin", "amp": "9", "tab": "nope"})
    assert not at.exception
    text = notices(at)
    assert "`steps`" in text and "`a_model`" in text and "`amp=9` is out of range" in text
    assert at.slider(key="nd_amp").value == 3.0
    assert at.slider(key="nd_steps").value == 200


def test_sessions_share_the_simulation_and_its_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve visitors following a demo compute each setting once (issue 22's load target):
    a second session at the same settings builds no figure and runs no simulation."""
    import streamlit as st

    import app.figures.neurons as figures
    import core.explorer as explorer

    calls = {"figure": 0, "explore": 0}

    def counted(name: str, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(figures, "traces_figure", counted("figure", figures.traces_figure))
    monkeypatch.setattr(explorer, "explore", counted("explore", explorer.explore))
    st.cache_resource.clear()
    first = AppTest.from_file(PAGE, default_timeout=60).run()
    first.slider(key="nd_a_threshold").set_value(1.35).run()
    assert calls == {"figure": 2, "explore": 2}
    second = AppTest.from_file(PAGE, default_timeout=60).run()
    second.slider(key="nd_a_threshold").set_value(1.35).run()
    assert calls == {"figure": 2, "explore": 2}
    assert metric(second, "Spikes (A)") == metric(first, "Spikes (A)")
    assert not first.exception and not second.exception


def test_the_fi_demo_shows_both_rheobases_and_rates() -> None:
    """The f–I demo promises the IF's rate beside the LIF's: both are on the page."""
    from core.demos import expectations, get_demo

    expected = expectations()["fi"]
    at = fresh(PAGE, get_demo("fi").query)
    assert not at.exception
    assert metric(at, "Rheobase A (LIF)") == f"{expected['rheobase_a']:.3f}"
    assert metric(at, "Rheobase B (IF)") == f"{expected['rheobase_b']:.3f}"
    rates = [m for m in at.metric if m.label.startswith("Rate ")]
    assert [m.label.split()[1] for m in rates] == ["A", "B"]
    assert all(m.value.endswith(" Hz") and float(m.value.split()[0]) > 0 for m in rates)
    assert any(f"of B: {expected['rheobase_b']:.3f}" in c.value for c in at.caption)


def test_dense_spikes_open_zoomed_and_the_threshold_labels_apart() -> None:
    from app.figures.neurons import ZOOM_SPIKES, traces_figure, zoom_steps
    from core.explorer import ExplorerConfig, explore

    at = fresh(PAGE, {"amp": "1", "b_on": "1", "b_reset": "hard"})  # the reset demo
    assert not at.exception
    assert any(f"Zoomed on the first {ZOOM_SPIKES} spikes" in c.value for c in at.caption)
    a, b = page_neuron("lif", 1.0, "soft"), page_neuron("lif", 1.0, "hard")
    result = explore(ExplorerConfig(a, b, InputSpec("step", 1.0, onset=10), 200))
    zoom = zoom_steps(result)
    first = np.flatnonzero(result.a.spikes)[:ZOOM_SPIKES]
    assert zoom is not None and first[-1] < zoom < 200
    fig = traces_figure(result, 1.0, "ms")
    assert fig.layout.xaxis.range == (0.0, float(zoom - 1))
    labels = {a.text: a.xanchor for a in fig.layout.annotations if a.text.startswith("θ")}
    assert labels == {"θ A": "left", "θ B": "right"}
    quiet = explore(ExplorerConfig(a, None, InputSpec("step", 0.15, onset=10), 200))
    assert zoom_steps(quiet) is None  # a few spikes: every step shown
