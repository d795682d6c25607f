"""Widgets generated from a parameter dataclass's metadata (app/param_widgets.py), alone and
on the Neuron dynamics page, and the one page skeleton (app/page.py)."""

from __future__ import annotations

import math
from ast import literal_eval
from dataclasses import dataclass, field, fields
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.param_widgets import drawn
from core.hardware.params import knob as hw_knob
from core.neurons.alif import ALIFParams
from core.neurons.lif import LIFParams
from core.neurons.registry import MODELS, get_model
from core.neurons.simulation import Neuron, simulate
from core.stimuli import InputSpec, make_input

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "neuron_dynamics.py")


def model_script() -> None:
    """Every registered neuron's parameters drawn by ``param_widgets``; the result shown."""
    import streamlit as st

    from app.param_widgets import param_widgets
    from core.neurons.registry import MODELS

    for model in MODELS:
        params = param_widgets(model.params, model.name + "_", given={"dt": 0.5, "nope": 1})
        st.text(repr(params))


def shown(at: AppTest, model: str) -> str:
    """The repr the script printed for ``model``'s parameters."""
    name = get_model(model).params.__name__
    return next(t.value for t in at.text if t.value.startswith(name + "("))


def test_widgets_start_at_the_models_defaults_and_build_the_params() -> None:
    at = AppTest.from_function(model_script, default_timeout=60).run()
    assert not at.exception
    for model in MODELS:
        for f in fields(model.params):
            key = f"{model.name}_{f.name}"
            if f.name == "dt":  # given: no widget, the given value
                assert key not in at.session_state
                continue
            meta = f.metadata
            widget = at.radio(key=key) if meta.get("choices") else at.slider(key=key)
            assert widget.value == f.default and widget.label == meta["label"]
            assert widget.help == meta["help"]
            if not meta.get("choices"):
                assert (widget.min, widget.max, widget.step) == (meta["min"], meta["max"],
                                                                 meta["step"])
    assert shown(at, "lif") == repr(LIFParams())
    assert shown(at, "alif") == repr(ALIFParams(dt=0.5))


def test_a_changed_widget_changes_the_params() -> None:
    at = AppTest.from_function(model_script, default_timeout=60).run()
    at.slider(key="lif_beta").set_value(0.5).run()
    at.radio(key="lif_reset").set_value("hard").run()
    at.slider(key="alif_adapt_b").set_value(0.25).run()
    assert not at.exception
    assert shown(at, "lif") == repr(LIFParams(beta=0.5, reset="hard"))
    assert shown(at, "alif") == repr(ALIFParams(adapt_b=0.25, dt=0.5))


@dataclass(frozen=True)
class Gadget:
    """A params dataclass of another kind (as a hardware model's): every widget the metadata
    can ask for."""

    cores: int = field(default=4, metadata={"label": "Cores", "min": 1, "max": 64, "step": 1})
    energy: float = field(default=0.9e-12, metadata={
        "label": "E per event (J)", "min": 0.0, "format": "%.3g", "help": "per event"})
    mode: str = field(default="b", metadata={"label": "Mode", "choices": tuple("abcdef")})
    noisy: bool = False
    note: str = "fixed"  # no metadata: no widget, the default

    def __post_init__(self) -> None:
        if self.energy > 1.0:
            raise ValueError(f"The energy per event must be at most 1 J (got {self.energy}).")


def gadget_script() -> None:
    """A ``Gadget`` drawn in the sidebar through the one page skeleton."""
    import streamlit as st

    from app.page import run_page
    from app.param_widgets import param_widgets
    from tests.test_param_widgets import Gadget

    def main() -> None:
        st.text(repr(param_widgets(Gadget, "g_", where=st.sidebar)))

    run_page(main, lambda: st.caption("published"))


def test_any_dataclass_gets_its_widgets_and_a_refusal_is_one_line() -> None:
    assert [f.name for f in fields(Gadget) if drawn(f)] == ["cores", "energy", "mode", "noisy"]
    at = AppTest.from_function(gadget_script, default_timeout=60).run()
    assert not at.exception
    cores = at.sidebar.slider(key="g_cores")
    assert (cores.value, cores.min, cores.max) == (4, 1, 64)
    assert at.sidebar.number_input(key="g_energy").value == pytest.approx(0.9e-12)
    assert at.sidebar.selectbox(key="g_mode").value == "b"
    assert at.sidebar.toggle(key="g_noisy").value is False
    assert at.text[0].value == repr(Gadget())
    at.sidebar.slider(key="g_cores").set_value(8).run()
    at.sidebar.toggle(key="g_noisy").set_value(True).run()
    assert at.text[0].value == repr(Gadget(cores=8, noisy=True))
    at.sidebar.number_input(key="g_energy").set_value(2.0).run()
    assert not at.exception and not at.text
    assert len(at.error) == 1 and "must be at most 1 J" in at.error[0].value
    assert at.caption[-1].value == "published"  # the link is written whether or not main refused


@dataclass(frozen=True)
class Chip:
    """Hardware-style knobs: a shown unit and scale, a link name, groups and a source."""

    clock_hz: float = hw_knob(100e6, "Clock", "the clock", 0.1, 5000.0, 1.0, unit="MHz",
                              scale=1e6, source="assumed", url="clock", group="Mesh")
    rows: int = hw_knob(4, "Rows", "mesh rows", 1, 64, 1, group="Mesh")
    e_op_j: float = hw_knob(0.9e-12, "E_OP", "one op", 0.0, 100.0, 0.1, unit="pJ", scale=1e-12,
                            source="", url="eop", group="Energies")


def chip_script() -> None:
    """A ``Chip``'s knobs drawn by ``field_widgets`` in the sidebar; the values shown."""
    from dataclasses import fields

    import streamlit as st

    from app.param_widgets import field_widgets
    from tests.test_param_widgets import Chip

    st.text(repr(field_widgets(fields(Chip), "c_", where=st.sidebar)))


def test_knobs_with_units_scales_links_and_groups_share_the_generator() -> None:
    at = AppTest.from_function(chip_script, default_timeout=60).run()
    assert not at.exception
    assert [h.value for h in at.sidebar.header] == ["Mesh", "Energies"]
    clock = at.sidebar.number_input(key="c_clock")  # keyed by its link name, shown in MHz
    assert (clock.label, clock.value, clock.min, clock.max) == ("Clock (MHz)", 100.0, 0.1, 5000.0)
    assert clock.help == "the clock (default 100 MHz; assumed)"
    rows = at.sidebar.number_input(key="c_rows")
    assert (rows.label, rows.value, rows.help) == ("Rows", 4, "mesh rows (default 4)")
    assert at.sidebar.number_input(key="c_eop").label == "E_OP (pJ)"
    assert literal_eval(at.text[0].value) == {"clock_hz": 100e6, "rows": 4, "e_op_j": 0.9e-12}
    at.sidebar.number_input(key="c_clock").set_value(250.0).run()
    at.sidebar.number_input(key="c_eop").set_value(2.5).run()
    values = literal_eval(at.text[0].value)
    assert values["clock_hz"] == pytest.approx(250e6)
    assert values["e_op_j"] == pytest.approx(2.5e-12) and values["rows"] == 4


def spikes(at: AppTest, side: str = "A") -> int:
    """The page's spike count of neuron ``side``."""
    return int(next(m.value for m in at.metric if m.label == f"Spikes ({side})"))


def test_the_neuron_page_starts_at_the_models_defaults() -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.slider(key="nd_a_beta").value == LIFParams().beta == math.exp(-0.1)
    assert at.slider(key="nd_a_threshold").value == LIFParams().threshold
    assert at.radio(key="nd_a_reset").value == LIFParams().reset
    x = make_input(InputSpec("step", 0.15, onset=10), 200)
    assert spikes(at) == int(simulate(Neuron("lif", LIFParams()), x).spikes.sum())
    assert "a_beta" not in at.query_params  # the default stays out of the link


def test_a_changed_beta_reaches_the_simulation_and_the_link() -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.slider(key="nd_a_beta").set_value(0.8).run()
    assert not at.exception
    x = make_input(InputSpec("step", 0.15, onset=10), 200)
    assert spikes(at) == int(simulate(Neuron("lif", LIFParams(beta=0.8)), x).spikes.sum())
    assert at.query_params["a_beta"] == "0.8"
    at.selectbox(key="nd_a_model").set_value("if").run()  # the IF has no beta: no widget
    assert not at.exception and not [s for s in at.slider if s.key == "nd_a_beta"]
    at.selectbox(key="nd_a_model").set_value("lif").run()
    assert at.slider(key="nd_a_beta").value == 0.8  # kept while the IF was shown


def test_the_adaptive_neurons_own_fields_come_from_its_metadata() -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"a_model": "alif", "a_adapt_b": "0.5", "dt": "0.5"})
    at.run()
    assert not at.exception
    tau = next(f for f in fields(ALIFParams) if f.name == "adapt_tau")
    assert at.slider(key="nd_a_adapt_tau").value == tau.default
    assert at.slider(key="nd_a_adapt_tau").label == tau.metadata["label"]
    assert at.slider(key="nd_a_adapt_b").value == 0.5
    x = make_input(InputSpec("step", 0.15, onset=10), 200)
    expected = simulate(Neuron("alif", ALIFParams(adapt_b=0.5, dt=0.5)), x)
    assert spikes(at) == int(expected.spikes.sum())


PAGES = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app" / "home.py"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_runs_through_run_page(page: Path) -> None:
    """Every page is ``def main()`` run by ``run_page`` (issue 26's one skeleton)."""
    import ast

    tree = ast.parse(page.read_text(encoding="utf-8"))
    assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body)
    last = tree.body[-1]
    assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
    assert ast.unparse(last.value.func) == "run_page", f"{page.name} ends otherwise"
