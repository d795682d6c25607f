"""SNN Playground: watch a small spiking network learn a 2-D problem, live."""

from __future__ import annotations

import streamlit as st

from app.charts import chart
from app.figures.playground import (
    decision_figure,
    layer_names,
    network_figure,
    probe_figure,
    rate_sheet,
)
from app.page import run_page
from app.url_state import Field, add_note, asked, publish, restore, show_notes
from core.neurons.params import RESETS
from core.neurons.registry import model_names
from core.playground.encoding import ENCODINGS, EncodingSpec
from core.playground.network import NetworkSpec, leaks
from core.playground.runner import PlaygroundRunner
from core.playground.session import PlaygroundConfig
from core.playground.toydata import TOY_SETS, ToySpec

P = "pg_"
SHEET_ROW = 16  # rate maps a row under the network
FIELDS = {
    "data": Field("moons", choices=TOY_SETS),
    "noise": Field(0.1, 0.0, 0.5),
    "points": Field(400, 100, 2000),
    "test": Field(0.3, 0.1, 0.5),
    "dseed": Field(0, 0, 9999),
    "enc": Field("population", choices=ENCODINGS),
    "steps": Field(20, 5, 60),
    "rate": Field(0.6, 0.1, 1.0),
    "fields": Field(6, 2, 12),
    "neuron": Field(NetworkSpec.neuron, choices=model_names(trainable=True)),
    "reset": Field("soft", choices=RESETS),
    "beta": Field(0.9, 0.5, 1.0),
    "thr": Field(1.0, 0.2, 3.0),
    "scale": Field(10.0, 1.0, 100.0),
    "lr": Field(0.03, choices=(0.001, 0.003, 0.01, 0.03, 0.1, 0.3)),
    "reg": Field(0.0, choices=(0.0, 1e-4, 1e-3, 3e-3, 1e-2)),
    "batch": Field(32, choices=(4, 8, 16, 32, 64, 128, 256)),
    "seed": Field(0, 0, 9999),
    "hidden": Field("8-8"),
    "px": Field(0.0, -1.2, 1.2),
    "py": Field(0.0, -1.2, 1.2),
}
RUNNER, NET_CHART = P + "runner", P + "net_chart"


def hidden_sizes() -> list[int]:
    """The hidden layers' sizes from the page's ``hidden`` text (1 to 32, at most 6)."""
    try:
        sizes = [int(v) for v in str(st.session_state[P + "hidden"]).split("-") if v]
    except ValueError:
        sizes = [8, 8]
    return [min(max(n, 1), 32) for n in sizes][:6]


def _set_hidden(sizes: list[int]) -> None:
    st.session_state[P + "hidden"] = "-".join(str(n) for n in sizes)


def add_layer() -> None:
    """Add a hidden layer of 4 neurons (the + layer button)."""
    _set_hidden([*hidden_sizes(), 4][:6])


def remove_layer() -> None:
    """Remove the last hidden layer (the − layer button)."""
    _set_hidden(hidden_sizes()[:-1])


def resize(layer: int, delta: int) -> None:
    """Grow or shrink one hidden layer by ``delta`` neurons (its + and − buttons)."""
    sizes = hidden_sizes()
    sizes[layer] = min(max(sizes[layer] + delta, 1), 32)
    _set_hidden(sizes)


def sidebar_config() -> PlaygroundConfig:
    """Draw the sidebar (data, encoding, neurons, learning); return the run's configuration."""
    s = st.session_state
    with st.sidebar:
        st.header("Data")
        st.selectbox("Data set", TOY_SETS, key=P + "data")
        st.slider("Noise", 0.0, 0.5, step=0.01, key=P + "noise")
        st.slider("Points", 100, 2000, step=50, key=P + "points")
        st.slider("Test fraction", 0.1, 0.5, step=0.05, key=P + "test")
        st.number_input("Data seed", 0, 9999, key=P + "dseed")
        st.header("Encoding")
        st.selectbox("Spike code", ENCODINGS, key=P + "enc")
        st.slider("Time steps", 5, 60, key=P + "steps")
        if s[P + "enc"] == "rate":
            st.slider("Max spike probability", 0.1, 1.0, key=P + "rate")
        if s[P + "enc"] == "population":
            st.slider("Receptive fields per axis", 2, 12, key=P + "fields")
        st.header("Neurons and learning")
        st.radio("Neuron", model_names(trainable=True), key=P + "neuron", horizontal=True,
                 format_func=str.upper)
        st.radio("Reset", RESETS, key=P + "reset", horizontal=True)
        st.slider(
            "β (membrane decay)",
            0.5,
            1.0,
            step=0.01,
            key=P + "beta",
            disabled=not leaks(s[P + "neuron"]),
        )
        st.slider("Threshold", 0.2, 3.0, step=0.1, key=P + "thr")
        st.slider("Surrogate scale", 1.0, 100.0, key=P + "scale")
        for name, label in (("lr", "Learning rate"), ("reg", "Spike regularizer"),
                            ("batch", "Batch size")):
            st.select_slider(label, FIELDS[name].choices, key=P + name)
        st.number_input("Seed", 0, 9999, key=P + "seed")
    return PlaygroundConfig(
        toy=ToySpec(s[P + "data"], s[P + "points"], s[P + "noise"], s[P + "test"], s[P + "dseed"]),
        encoding=EncodingSpec(s[P + "enc"], s[P + "steps"], s[P + "rate"], s[P + "fields"]),
        network=NetworkSpec(
            tuple(hidden_sizes()),
            s[P + "neuron"],
            s[P + "reset"],
            s[P + "beta"],
            s[P + "thr"],
            s[P + "scale"],
        ),
        lr=s[P + "lr"],
        reg=s[P + "reg"],
        batch=s[P + "batch"],
        seed=s[P + "seed"],
    )


def runner_for(config: PlaygroundConfig) -> PlaygroundRunner:
    """This browser session's runner; a changed configuration starts a fresh run."""
    runner: PlaygroundRunner | None = st.session_state.get(RUNNER)
    if runner is None or runner.config != config:
        if runner is not None:
            runner.close()
        runner = PlaygroundRunner(config)
        st.session_state[RUNNER] = runner
    return runner


def controls(runner: PlaygroundRunner) -> None:
    """Draw the Play, Pause, Step and Reset buttons."""
    cols = st.columns([1, 1, 1, 1, 4])
    cols[0].button(
        "Play", icon=":material/play_arrow:", key=P + "play", on_click=runner.play, type="primary"
    )
    cols[1].button("Pause", icon=":material/pause:", key=P + "pause", on_click=runner.pause)
    cols[2].button(
        "Step", icon=":material/skip_next:", key=P + "step_btn", on_click=runner.single_step
    )
    cols[3].button("Reset", icon=":material/restart_alt:", key=P + "reset_btn", on_click=reset_run)


def reset_run() -> None:
    """Drop this session's run (the Reset button): the next one starts afresh."""
    runner = st.session_state.pop(RUNNER, None)
    if runner is not None:
        runner.close()


def network_editor() -> None:
    """Draw the + and − buttons that resize the hidden layers and add or remove one."""
    sizes = hidden_sizes()
    cols = st.columns(len(sizes) + 1)
    for i, n in enumerate(sizes):
        with cols[i]:
            st.caption(f"Hidden layer {i + 1}: {n} neurons")
            a, b = st.columns(2)
            a.button("−", key=f"{P}minus_{i}", on_click=resize, args=(i, -1), disabled=n <= 1)
            b.button("+", key=f"{P}plus_{i}", on_click=resize, args=(i, 1), disabled=n >= 32)
    with cols[-1]:
        st.caption("Layers")
        a, b = st.columns(2)
        a.button("− layer", key=P + "del_layer", on_click=remove_layer, disabled=not sizes)
        b.button("+ layer", key=P + "add_layer", on_click=add_layer, disabled=len(sizes) >= 6)


def apply_click() -> None:
    """Apply a click on the network chart (seen by the live view) before the widgets exist."""
    for point in st.session_state.pop(P + "click_pending", None) or []:
        data = point.get("customdata")
        if data and data[0] == "neuron" and 0 < data[1] <= len(hidden_sizes()):
            st.session_state[P + "probe_neuron"] = f"L{data[1]} {data[2]}"
        elif data and data[0] == "edge":
            st.session_state[P + "edge"] = f"{data[1]}:{data[2]}:{data[3]}"


def live_view(runner: PlaygroundRunner) -> None:
    """Draw the live metrics, network, decision surface and per-neuron rate maps."""
    snap = runner.snapshot()
    m = snap.metrics
    cols = st.columns(6)
    cols[0].metric("Step", m.step)
    cols[1].metric("Epoch", f"{m.epoch:.1f}")
    cols[2].metric("Train accuracy", f"{m.train_accuracy:.3f}")
    cols[3].metric("Test accuracy", f"{m.test_accuracy:.3f}")
    cols[4].metric("Test loss", f"{m.test_loss:.3f}")
    cols[5].metric("Spikes / sample", f"{sum(m.spikes_per_layer[1:]):.1f}")
    st.caption(
        f"Energy per sample: {m.synaptic_ops:.0f} synaptic ops × 0.9 pJ = "
        f"{m.snn_energy_pj:.0f} pJ, against {m.ann_energy_pj:.0f} pJ for the same-shape ANN "
        f"(4.6 pJ per MAC) — ratio {m.snn_energy_pj / m.ann_energy_pj:.2f}. "
        f"{'Training…' if snap.playing else 'Paused.'}"
    )
    pg = runner.playground
    sizes = pg.model.sizes
    weights = [w.detach().numpy().copy() for w in pg.model.weights]
    left, right = st.columns(2)
    selected = _selected_neuron()
    event = chart(network_figure(sizes, weights, snap.maps.rates, selected), NET_CHART, left,
                  on_select="rerun", selection_mode="points")
    points = list(event.selection.points) if event and event.selection else []
    if points and points != st.session_state.get(P + "click_seen"):
        st.session_state[P + "click_seen"] = st.session_state[P + "click_pending"] = points
        st.rerun(scope="app")  # the inspector, outside this fragment, follows the click
    probe = (st.session_state[P + "px"], st.session_state[P + "py"])
    chart(decision_figure(snap.maps, pg.data.x_train, pg.data.y_train, pg.data.x_test,
                          pg.data.y_test, probe), P + "decision_chart", right)
    names = layer_names(sizes)
    for layer, rates in enumerate(snap.maps.rates):
        st.caption(f"{names[layer + 1]}: firing rate of each neuron over the input plane "
                   f"(neurons 0 to {len(rates) - 1}, left to right, {SHEET_ROW} a row; white "
                   "silent, orange one spike per step)")
        sheet = rate_sheet(rates, SHEET_ROW)
        st.image(sheet, width=min(sheet.shape[1], 1200))


def _selected_neuron() -> tuple[int, int] | None:
    choice = st.session_state.get(P + "probe_neuron")
    if not choice:
        return None
    layer, k = choice[1:].split(" ")
    return int(layer), int(k)


def inspector(runner: PlaygroundRunner) -> None:
    """Draw the inspector: a neuron's membrane at an input point, and one editable weight."""
    sizes = hidden_sizes()
    neurons = [f"L{i + 1} {k}" for i, n in enumerate(sizes) for k in range(n)]
    left, right = st.columns(2)
    with left:
        st.subheader("Neuron")
        if not neurons:
            st.info("Add a hidden layer to inspect its neurons.")
        else:
            if st.session_state.get(P + "probe_neuron") not in neurons:
                st.session_state[P + "probe_neuron"] = neurons[0]
            st.selectbox("Neuron (or click one in the network)", neurons, key=P + "probe_neuron")
            st.slider("Input point x₁", -1.2, 1.2, step=0.05, key=P + "px")
            st.slider("Input point x₂", -1.2, 1.2, step=0.05, key=P + "py")
            layer, k = _selected_neuron()
            mem, spikes = runner.probe(
                (st.session_state[P + "px"], st.session_state[P + "py"]), layer - 1, k
            )
            chart(probe_figure(mem, spikes, runner.config.network.threshold), P + "probe_chart")
    with right:
        st.subheader("Connection")
        full = [runner.config.encoding.channels, *sizes, 2]
        names = layer_names(full)
        edges = [
            f"{layer}:{i}:{j}"
            for layer in range(len(full) - 1)
            for i in range(full[layer])
            for j in range(full[layer + 1])
        ]
        if st.session_state.get(P + "edge") not in edges:
            st.session_state[P + "edge"] = edges[0]

        def label(edge: str) -> str:
            layer, i, j = map(int, edge.split(":"))
            return f"{names[layer]} {i} → {names[layer + 1]} {j}"

        edge = st.selectbox("Connection (or click one)", edges, key=P + "edge", format_func=label)
        layer, i, j = map(int, edge.split(":"))
        value = st.number_input(
            "Weight", value=runner.weight(layer, i, j), step=0.1, format="%.3f", key=f"{P}w_{edge}"
        )
        if st.button("Set weight", key=P + "set_weight"):
            runner.set_weight(layer, i, j, value)
            st.success(f"{label(edge)} = {value:.3f}")


def main() -> None:
    """Draw the SNN Playground page: sidebar settings, controls, live view and inspector."""
    st.title("SNN Playground")
    fresh = P + "hidden" not in st.session_state
    restore(P, FIELDS, notice=False)
    if fresh and "-".join(map(str, hidden_sizes())) != st.session_state[P + "hidden"]:
        add_note(f"{asked('hidden', st.session_state[P + 'hidden'])} is not sizes like 8-8 "
                 f"(1 to 32, at most 6 layers), so the page uses "
                 f"{'-'.join(map(str, hidden_sizes()))}")
        _set_hidden(hidden_sizes())
    show_notes()
    config = sidebar_config()
    runner = runner_for(config)
    controls(runner)
    network_editor()
    apply_click()
    playing = runner.snapshot().playing
    st.fragment(live_view, run_every=0.7 if playing else None)(runner)
    inspector(runner)
    st.caption(
        "The whole configuration is in the page's address: share the link to reproduce this run."
    )


run_page(main, lambda: publish(P, FIELDS))
