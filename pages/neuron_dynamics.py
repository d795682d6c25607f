"""Neuron dynamics: tune any registered neuron and watch its membrane, traces and spikes."""

from __future__ import annotations

import math
from dataclasses import fields

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.charts import chart, csv_button
from app.figures.neurons import (
    ZOOM_SPIKES,
    euler_figure,
    fi_figure,
    relpsp_figure,
    traces_figure,
    zoom_steps,
)
from app.page import run_page
from app.param_widgets import keep, param_widgets
from app.url_state import Field, params_fields, publish, restore
from core.explorer import ExplorerConfig, ExplorerResult, compare_euler, explore
from core.neurons.params import RESETS, PhysicalParams
from core.neurons.physical import MembraneODE
from core.neurons.registry import MODELS, get_model, model_names
from core.neurons.relpsp import grid_spike_time, spike_time
from core.neurons.simulation import Neuron
from core.stimuli import INPUT_KINDS, InputSpec

P = "nd_"
NEURON_FIELDS = {  # one neuron's settings: its model, time constants and every parameter
    "model": Field("lif", choices=model_names()),
    "tau_mem": Field(10.0, 0.5, 200.0),
    "tau_syn": Field(5.0, 0.5, 100.0),
    **params_fields((m.params for m in MODELS), exclude=("dt",)),  # dt is the page's
}
FIELDS = {
    **{f"a_{k}": v for k, v in NEURON_FIELDS.items()},
    **{f"b_{k}": v for k, v in NEURON_FIELDS.items()},
    "b_on": Field(False),
    "units": Field("decay", choices=("decay", "ms")),
    "axis": Field("ms", choices=("ms", "steps")),
    "dt": Field(1.0, 0.1, 5.0),
    "steps": Field(200, 10, 2000),
    "input": Field("step", choices=INPUT_KINDS),
    "amp": Field(0.15, -2.0, 3.0),
    "onset": Field(10, 0, 2000),
    "period": Field(50.0, 2.0, 500.0),
    "offset": Field(0.0, -2.0, 2.0),
    "rate": Field(0.1, 0.0, 1.0),
    "seed": Field(0, 0, 10**6),
    "times": Field("10, 30, 35, 40"),
    "weights": Field("0.6, 0.4, 0.4, 0.4"),
    "fi_max": Field(1.5, 0.1, 5.0),
    "ode_tau": Field(20.0, 1.0, 100.0),
    "ode_dt": Field(1.0, 0.05, 60.0),
    "ode_current": Field(2.0, -5.0, 10.0),
    "ode_el": Field(-65.0, -90.0, -40.0),
    "ode_vth": Field(-50.0, -80.0, 0.0),
    "ode_r": Field(10.0, 1.0, 100.0),
    "ode_duration": Field(100.0, 10.0, 500.0),
    "ode_reset": Field("hard", choices=RESETS),
    "rp_theta": Field(1.0, 0.1, 5.0),
    "rp_tau": Field(1.0, 0.2, 10.0),
    "rp_scale": Field(1.0, 0.05, 3.0),
    "rp_inputs": Field("1:0.3, 2:0.3, 3:0.3"),
    "tab": Field("membrane", choices=("membrane", "fi", "euler", "relpsp")),
}
TABS = {"membrane": "Membrane", "fi": "f–I curve", "euler": "Exact vs Euler", "relpsp": "ReL-PSP"}
TIME_CONSTANTS = (
    r"Time constants: $\beta = e^{-\Delta t/\tau_{mem}}$, $\alpha = e^{-\Delta t/\tau_{syn}}$."
)


def decays(k: str, own: set[str]) -> dict[str, float]:
    """The τ_mem and τ_syn sliders (time-constant mode): the decays they give, as β and α."""
    phys = PhysicalParams(
        st.slider("τ_mem (ms)", 0.5, 200.0, key=k + "tau_mem", disabled="beta" not in own),
        st.slider("τ_syn (ms)", 0.5, 100.0, key=k + "tau_syn", disabled="alpha" not in own),
        st.session_state[P + "dt"],
    )
    st.caption(f"β = {phys.beta:.4f}, α = {phys.alpha:.4f}")
    return {"beta": phys.beta, "alpha": phys.alpha}


def neuron_controls(side: str) -> Neuron:
    """Draw one neuron's widgets (``a`` or ``b``), its parameters' from their metadata."""
    k = f"{P}{side}_"
    keep(k + name for name in NEURON_FIELDS)  # β set for a LIF survives a look at the IF
    st.selectbox(
        "Neuron", model_names(), key=k + "model", format_func=lambda n: get_model(n).label
    )
    model = get_model(st.session_state[k + "model"])
    given: dict[str, float] = {"dt": st.session_state[P + "dt"]}
    if st.session_state[P + "units"] == "ms":
        given |= decays(k, {f.name for f in fields(model.params)})
    return Neuron(model.name, param_widgets(model.params, k, given))


LARGEST = 1e9  # a spike time, weight or input time the page accepts from text (or a link)


def _number(text: str) -> float:
    """One finite number of at most ``LARGEST``; ValueError otherwise (inf, 1e300: no overflow
    further on)."""
    value = float(text)
    if not math.isfinite(value) or abs(value) > LARGEST:
        raise ValueError(f"numbers here lie between {-LARGEST:g} and {LARGEST:g}")
    return value


def _numbers(text: str, kind: type) -> tuple:
    return tuple(kind(_number(v)) for v in text.replace(";", ",").split(",") if v.strip())


def input_controls() -> InputSpec:
    """Draw the sidebar's input-current widgets; return the input they describe."""
    kind = st.selectbox("Input", INPUT_KINDS, key=P + "input")
    amp = st.slider("Amplitude", -2.0, 3.0, step=0.01, key=P + "amp")
    extra: dict = {}
    if kind == "step":
        extra["onset"] = st.number_input("Onset (step)", 0, 2000, key=P + "onset")
    elif kind == "sine":
        extra["period"] = st.slider("Period (steps)", 2.0, 500.0, key=P + "period")
        extra["offset"] = st.slider("Offset", -2.0, 2.0, step=0.01, key=P + "offset")
    elif kind == "poisson":
        extra["rate"] = st.slider("Spike probability per step", 0.0, 1.0, key=P + "rate")
        extra["seed"] = st.number_input("Seed", 0, 10**6, key=P + "seed")
    elif kind == "spikes":
        times = st.text_input("Spike times (steps)", key=P + "times")
        weights = st.text_input("Weights", key=P + "weights")
        try:
            extra["times"], extra["weights"] = _numbers(times, int), _numbers(weights, float)
        except ValueError:
            st.error("Spike times and weights are numbers separated by commas, e.g. 10, 30.")
    return InputSpec(kind=kind, amplitude=amp, **extra)


# Every session shares these (read-only) objects: twelve visitors moving the same slider of a
# demo link compute each configuration and build its figure once (issue 22's load target).
@st.cache_resource(max_entries=256, show_spinner=False)
def cached_explore(config: ExplorerConfig) -> ExplorerResult:
    """The simulation of ``config`` (A, B and the f–I sweep), computed once for every session."""
    return explore(config)


@st.cache_resource(max_entries=128, show_spinner=False)
def membrane_figure(config: ExplorerConfig, axis: str) -> go.Figure:
    """The membrane tab's figure for ``config``, built once for every session."""
    return traces_figure(cached_explore(config), config.dt, axis)


def traces_frame(result: ExplorerResult, config: ExplorerConfig) -> pd.DataFrame:
    """Every trace of A (and B) per step, as the CSV download has them."""
    frame = pd.DataFrame({"step": range(config.steps), "time_ms": result.time_axis(config.dt),
                          "input": result.input})
    for side, sim in (("a", result.a), ("b", result.b)):
        if sim is not None:  # mem, spikes, then every other trace (syn, threshold, ...)
            frame[f"mem_{side}"], frame[f"spikes_{side}"] = sim.mem, sim.spikes
            for name, values in sim.traces.items():
                frame[f"{name}_{side}"] = values
    return frame


def membrane_tab(config: ExplorerConfig) -> None:
    """Draw the membrane tab: the traces of A (and B), spike counts, rate and the CSV button."""
    result = cached_explore(config)
    dt, axis = config.dt, st.session_state[P + "axis"]
    chart(membrane_figure(config, axis), P + "traces_chart")
    zoom = zoom_steps(result)
    if zoom is not None:
        shown_to = f"{zoom * dt:g} ms" if axis == "ms" else f"step {zoom}"
        st.caption(f"Zoomed on the first {ZOOM_SPIKES} spikes (to {shown_to}) so each one "
                   f"reads; double-click the chart to see all {config.steps} steps.")
    cols = st.columns(3 if result.b is not None else 2)
    rate_hz = result.a.spikes.sum() / (config.steps * dt) * 1000.0
    cols[0].metric("Spikes (A)", int(result.a.spikes.sum()))
    cols[1].metric("Mean rate (A)", f"{rate_hz:.1f} Hz")
    if result.b is not None:
        cols[2].metric(
            "Spikes (B)",
            int(result.b.spikes.sum()),
            delta=int(result.b.spikes.sum() - result.a.spikes.sum()),
        )
    csv_button(lambda: traces_frame(result, config), "traces", P + "csv",
               label="Download traces (CSV)")


def short_name(model: str) -> str:
    """A model's abbreviation: "LIF" from "Leaky integrate-and-fire (LIF)"."""
    label = get_model(model).label
    return label.rsplit("(", 1)[-1].rstrip(")") if label.endswith(")") else label


def fi_tab(config: ExplorerConfig) -> None:
    """Draw the f–I tab: rate against input amplitude, each rheobase, and the sweep's range."""
    result = cached_explore(config)
    chart(fi_figure(result, config.dt), P + "fi_chart")
    sides = [("A", config.a, result.fi_rate_a)]
    if result.fi_rate_b is not None and config.b is not None:
        sides.append(("B", config.b, result.fi_rate_b))
    cols, per_s, found = st.columns(2 * len(sides)), 1000.0 / config.dt, []
    for i, (side, neuron, rate) in enumerate(sides):
        fires = result.fi_amplitudes[rate > 0]
        found.append(f"of {side}: " + (f"{fires[0]:.3f}" if fires.size else "none (silent)"))
        name = f"{side} ({short_name(neuron.model)})"
        cols[2 * i].metric(f"Rheobase {name}", f"{fires[0]:.3f}" if fires.size else "silent",
                           help="The first amplitude of the sweep at which it fires.")
        cols[2 * i + 1].metric(f"Rate {side} at {result.fi_amplitudes[-1]:.3g}",
                               f"{rate[-1] * per_s:.1f} Hz")
    text = "Rheobase " + "; ".join(found).replace("of A:", "of A on this input:", 1) + "."
    if not any(rate.max() > 0 for _, _, rate in sides):
        text += " Raise the f–I range or lower the threshold."
    st.caption(text)
    st.slider("f–I amplitude range", 0.1, 5.0, step=0.1, key=P + "fi_max")
    curve = {"amplitude": result.fi_amplitudes, "rate_a_per_step": result.fi_rate_a}
    if result.fi_rate_b is not None:
        curve["rate_b_per_step"] = result.fi_rate_b
    csv_button(pd.DataFrame(curve), "fi_curve", P + "fi_csv", label="Download f–I curve (CSV)")


def euler_tab() -> None:
    """Draw the exact-vs-Euler tab: one membrane ODE both ways, their largest gap, a warning."""
    st.markdown(
        r"$\tau\,dV/dt = -(V - E_L) + R\,I$: exact update "
        r"$V \leftarrow E_L + e^{-\Delta t/\tau}(V - E_L) + (1 - e^{-\Delta t/\tau}) R I$ "
        r"against forward Euler $V \leftarrow V + \frac{\Delta t}{\tau}(-(V - E_L) + R I)$."
    )
    c1, c2, c3 = st.columns(3)
    tau = c1.slider("τ_mem (ms)", 1.0, 100.0, key=P + "ode_tau")
    dt = c1.slider("Δt (ms)", 0.05, 60.0, key=P + "ode_dt")
    current = c2.slider("Current I (nA)", -5.0, 10.0, step=0.1, key=P + "ode_current")
    resistance = c2.slider("R (MΩ)", 1.0, 100.0, key=P + "ode_r")
    e_leak = c3.slider("E_L (mV)", -90.0, -40.0, key=P + "ode_el")
    v_th = c3.slider("Threshold (mV)", -80.0, 0.0, key=P + "ode_vth")
    duration = c1.slider("Duration (ms)", 10.0, 500.0, key=P + "ode_duration")
    reset = c2.radio("Reset", RESETS, key=P + "ode_reset", horizontal=True)
    ode = MembraneODE(PhysicalParams(tau_mem=tau, dt=dt), e_leak, resistance, v_th)
    comparison = compare_euler(ode, current, duration, reset)
    chart(euler_figure(comparison, ode), P + "euler_chart")
    gap = abs(comparison.euler.mem - comparison.exact.mem).max()
    st.metric("Largest gap, Euler vs exact", f"{gap:.3g} mV")
    csv_button(pd.DataFrame({"time_ms": comparison.time_ms, "exact_mV": comparison.exact.mem,
                             "euler_mV": comparison.euler.mem}), "euler", P + "euler_csv",
               label="Download traces (CSV)")
    if dt > 2 * tau:
        st.warning(
            "Δt > 2τ: the Euler factor 1 − Δt/τ is below −1, so Euler oscillates and diverges."
        )


def _parse_inputs(text: str) -> tuple[list[float], list[float]]:
    pairs = [p.split(":") for p in text.replace(";", ",").split(",") if p.strip()]
    return [_number(t) for t, _ in pairs], [_number(w) for _, w in pairs]


def relpsp_tab() -> None:
    """Draw the ReL-PSP tab: editable input spikes, both potentials and their spike times."""
    st.markdown(
        r"ReL-PSP (Zhang et al., TNNLS 2022): $V(t) = \sum_i w_i \max(0, t - t_i)$, "
        r"one spike at $t_{out} = (\theta + \sum_C w_i t_i) / \sum_C w_i$. The alpha-PSP "
        r"kernel $K(t) = \frac{t}{\tau} e^{1 - t/\tau}$ peaks at 1, so small weights leave "
        r"its neuron silent."
    )
    if P + "rp_base" not in st.session_state:
        st.session_state[P + "rp_base"] = st.session_state[P + "rp_inputs"]
    try:
        times, weights = _parse_inputs(st.session_state[P + "rp_base"])
    except ValueError:
        times, weights = _parse_inputs(FIELDS["rp_inputs"].default)
    left, right = st.columns([1, 2])
    table = left.data_editor(
        pd.DataFrame({"time": times, "weight": weights}), num_rows="dynamic", key=P + "rp_editor"
    )
    table = table.dropna()
    theta = left.slider("Threshold θ", 0.1, 5.0, key=P + "rp_theta")
    scale = left.slider("Scale all weights", 0.05, 3.0, key=P + "rp_scale")
    tau = left.slider("Alpha-PSP τ", 0.2, 10.0, key=P + "rp_tau")
    times, weights = table["time"].tolist(), [w * scale for w in table["weight"]]
    st.session_state[P + "rp_inputs"] = ", ".join(
        f"{t:g}:{w:g}" for t, w in zip(table["time"], table["weight"], strict=True)
    )
    t_rel = spike_time(times, weights, theta)
    horizon = max([*times, 0.0]) + 4 * tau + (0.0 if t_rel is None else t_rel)
    t_alpha = (
        grid_spike_time(
            times, weights, theta, horizon, resolution=horizon / 4000, kernel="alpha", tau=tau
        )
        if times
        else None
    )
    chart(relpsp_figure(times, weights, theta, tau, t_rel, t_alpha), P + "relpsp_chart", right)
    c1, c2 = right.columns(2)
    c1.metric("ReL-PSP spike time", "silent" if t_rel is None else f"{t_rel:.4g}")
    c2.metric("Alpha-PSP spike time", "silent" if t_alpha is None else f"{t_alpha:.4g}")
    if t_alpha is None and t_rel is not None:
        right.info(
            "The alpha-PSP neuron never reaches θ: a dead neuron. The ReL-PSP neuron, "
            "whose potential keeps rising while the net weight is positive, still fires."
        )


def _tab_changed() -> None:
    label = st.session_state[P + "tab_label"]
    st.session_state[P + "tab"] = next(k for k, v in TABS.items() if v == label)


def main() -> None:
    """Draw the Neuron dynamics page: input sidebar, neurons A and B, and the open tab."""
    st.title("Neuron dynamics")
    restore(P, FIELDS)
    with st.sidebar:
        st.header("Input")
        stimulus = input_controls()
        steps = st.slider("Time steps", 10, 2000, key=P + "steps")
        st.slider("Δt (ms per step)", 0.1, 5.0, step=0.1, key=P + "dt")
        st.radio(
            "Set decays as",
            ("decay", "ms"),
            key=P + "units",
            horizontal=True,
            format_func={"decay": "β, α", "ms": "time constants"}.get,
        )
        st.radio("Time axis", ("ms", "steps"), key=P + "axis", horizontal=True)
    col_a, col_b = st.columns(2)
    with col_a:
        st.subheader("Neuron A")
        a = neuron_controls("a")
    with col_b:
        st.subheader("Neuron B")
        compare = st.toggle("Compare with B", key=P + "b_on")
        with st.expander("Configure B", expanded=compare):
            b = neuron_controls("b")
    with st.expander("Equations"):
        shown = dict.fromkeys([a.model, *([b.model] if compare else [])])
        st.markdown("\n\n".join([*(get_model(n).equations for n in shown), TIME_CONSTANTS]))
    config = ExplorerConfig(
        a,
        b if compare else None,
        stimulus,
        steps,
        st.session_state[P + "dt"],
        st.session_state[P + "fi_max"],
    )
    tabs = st.tabs(list(TABS.values()), key=P + "tab_label", on_change=_tab_changed,
                   default=TABS[st.session_state[P + "tab"]])
    views = (lambda: membrane_tab(config), lambda: fi_tab(config), euler_tab, relpsp_tab)
    for tab, view in zip(tabs, views, strict=True):
        if tab.open is not False:  # only the open tab computes
            with tab:
                view()
    st.caption("The page's settings are in its address: copy the link to share this demo.")


run_page(main, lambda: publish(P, FIELDS))
