"""Hardware: what one frame of a network costs on the YOSO accelerator and by operation counts.

Saved runs whose stored JSON cannot be read are named and skipped; messages that may quote a
file or a stored record are escaped (``app.text.md``) before they reach Markdown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import hardware_nir as nir_parts
from app.charts import chart, csv_button
from app.figures.hardware import (
    MODEL_TITLES,
    breakdown_figure,
    layer_figure,
    mesh_figure,
    sweep_figure,
)
from app.text import md
from app.url_state import Field, add_note, publish, restore, show_notes
from core.hardware import (
    EnergyModel,
    OpsConfig,
    Workload,
    YosoConfig,
    fc_workload,
    make_model,
    parse_arch,
)
from core.hardware.analysis import (
    SweepPoint,
    calibrate,
    energy_breakdown,
    layer_bars,
    mesh_view,
    sweep,
)
from core.hardware.base import EnergyReport
from core.hardware.constants import PJ, RELPSP_YOSO_MNIST
from core.hardware.workload import parse_spikes
from core.hardware.yoso import MAX_PACKETS, YosoModel, frame_packets

P = "hw_"
RUN_KINDS = ("surrogate", "relpsp", "nas", "nir")
SWEEP_FACTORS = tuple(np.round(np.linspace(0.0, 3.0, 13), 2))
SWEEP_AUTO_PACKETS = 2_000_000  # a YOSO sweep this small (about a second) runs as the page opens
SOURCES = ("Type an architecture", "A saved run", "A NIR file")
# The network, the run costed and the hardware settings, in the URL.
FIELDS = {
    "source": Field(SOURCES[0], choices=SOURCES), "arch": Field("784-800-10"),
    "spikes": Field("100,80,10"), "steps": Field(1, 1, 1000), "recurrent": Field(False),
    "run": Field(None, 1, None, kind=int), "run_spikes": Field(""),
    "rows": Field(4, 1, 64), "cols": Field(4, 1, 64), "npe": Field(64, 1, 4096),
    "wbits": Field(8, 1, 32), "wsram": Field(64.0, 1.0, 4096.0),
    "clock": Field(100.0, 0.1, 5000.0), "leak": Field(10.0, 0.0, 10000.0),
    "eac": Field(0.9, 0.0, 100.0), "emac": Field(4.6, 0.0, 100.0), **nir_parts.FIELDS,
}
CHOSEN = P + "chosen_run"  # the saved or uploaded run being priced (for NeuroBench's panel)


def init_state() -> None:
    restore(P, FIELDS, notice=False)
    st.session_state.setdefault(P + "download", False)
    st.session_state[CHOSEN] = None


@st.cache_data(ttl=10, show_spinner=False)
def list_runs(db: str) -> tuple[list[tuple[int, str, str]], tuple[int, ...]]:
    """(id, label, kind) of the saved training runs, newest first, and the ids of the runs
    skipped because their stored JSON cannot be read."""
    from core.hardware.runs import describe_run
    from core.store import RunStore

    runs = RunStore(db).list_runs()
    return [(r.id, describe_run(r), r.kind) for r in runs if r.kind in RUN_KINDS], runs.skipped


@st.cache_data(max_entries=32, show_spinner=False)
def run_workload(db: str, run_id: int, spikes: tuple[float, ...] | None) -> Workload:
    from core.hardware.runs import workload_from_run
    from core.store import RunStore

    return workload_from_run(RunStore(db).get_run(run_id), spikes)


@st.cache_data(max_entries=64, show_spinner=False)
def estimate(name: str, workload: Workload, yoso: YosoConfig, ops: OpsConfig) -> EnergyReport:
    return _model(name, yoso, ops).estimate(workload)


class CachedModel:
    """A model whose estimates go through the page's cache (a stopped sweep keeps its frames)."""

    def __init__(self, name: str, yoso: YosoConfig, ops: OpsConfig) -> None:
        self.name, self.yoso, self.ops = name, yoso, ops

    def estimate(self, workload: Workload) -> EnergyReport:
        return estimate(self.name, workload, self.yoso, self.ops)


def sweep_panel(workload: Workload, yoso: YosoConfig, ops: OpsConfig, with_yoso: bool) -> None:
    """Energy against spike rate: at once when small, else on request, with progress and stop.

    The YOSO curve simulates one frame per distinct spike scale; frames that would exceed the
    simulator's limit are left out of its curve (the operation counts cover every point).
    """
    points = {"ops": sweep(CachedModel("ops", yoso, ops), workload, SWEEP_FACTORS)}
    factors = [f for f in SWEEP_FACTORS if _fits(workload.scaled(float(f)), yoso)]
    if with_yoso and factors:
        key = (workload, yoso, ops)
        packets = sum(frame_packets(w, yoso) for w in
                      {w.spikes: w for w in (workload.scaled(float(f)) for f in factors)}.values())
        if packets > SWEEP_AUTO_PACKETS and st.session_state.get(P + "swept") != key:
            if st.button(f"Sweep YOSO over {len(factors)} spike rates ({packets / 1e6:,.1f} "
                         "million packets)", key=P + "sweep_go"):
                stop = st.empty()  # pressing it reruns the page, which ends the sweep
                stop.button("Stop the sweep", key=P + "sweep_stop")
                points["yoso"] = _sweep_with_progress(workload, yoso, ops, factors)
                stop.empty()
                st.session_state[P + "swept"] = key
        else:
            points["yoso"] = _sweep_with_progress(workload, yoso, ops, factors)
        if len(factors) < len(SWEEP_FACTORS):
            st.caption(f"YOSO is simulated up to {factors[-1]:g}× the given spikes; beyond, a "
                       f"frame sends more than {MAX_PACKETS:,} packets.")
    chart(sweep_figure(points), P + "sweep_fig")
    csv_button(pd.DataFrame([{"model": name, "factor": p.factor, "spikes": p.spikes,
                              "rate": p.rate, "energy_j": p.energy_j, "latency_s": p.latency_s,
                              "ann_energy_j": p.ann_energy_j}
                             for name, pts in points.items() for p in pts]),
               "sweep", P + "sweep_csv", label="Download sweep (CSV)")


def _fits(workload: Workload, yoso: YosoConfig) -> bool:
    try:
        return frame_packets(workload, yoso) <= MAX_PACKETS
    except ValueError:
        return False


def _sweep_with_progress(workload: Workload, yoso: YosoConfig, ops: OpsConfig,
                         factors: list[float]) -> list[SweepPoint]:
    bar = st.progress(0.0, text="Sweeping the spike rate on YOSO, one frame per rate…")

    def on_point(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Sweeping the spike rate on YOSO: frame {done} of "
                                        f"{total}…")

    points = sweep(CachedModel("yoso", yoso, ops), workload, factors, on_point)
    bar.empty()
    return points


def _model(name: str, yoso: YosoConfig, ops: OpsConfig) -> EnergyModel:
    if name == "yoso":
        return YosoModel(yoso, e_ac_j=ops.e_ac_j, e_mac_j=ops.e_mac_j)
    return make_model(name, ops)


def sidebar() -> tuple[YosoConfig, OpsConfig]:
    with st.sidebar:
        st.header("YOSO mesh")
        a, b = st.columns(2)
        a.number_input("Rows", 1, 64, key=P + "rows")
        b.number_input("Columns", 1, 64, key=P + "cols")
        st.number_input("Neurons per PE", 1, 4096, key=P + "npe")
        st.number_input("Weight bits", 1, 32, key=P + "wbits")
        st.number_input("Weight SRAM per PE (KiB)", 1.0, 4096.0, key=P + "wsram")
        st.number_input("Clock (MHz)", 0.1, 5000.0, key=P + "clock")
        st.number_input("Leakage per PE (µW)", 0.0, 10000.0, key=P + "leak")
        st.header("Operation energies")
        st.number_input("E_AC (pJ)", 0.0, 100.0, key=P + "eac", help="Horowitz 2014: 0.9 pJ")
        st.number_input("E_MAC (pJ)", 0.0, 100.0, key=P + "emac", help="Horowitz 2014: 4.6 pJ")
    s = st.session_state
    yoso = YosoConfig(
        rows=int(s[P + "rows"]), cols=int(s[P + "cols"]), neurons_per_pe=int(s[P + "npe"]),
        weight_bits=int(s[P + "wbits"]), weight_sram_kib=float(s[P + "wsram"]),
        clock_hz=float(s[P + "clock"]) * 1e6, leakage_w_per_pe=float(s[P + "leak"]) * 1e-6,
    )
    return yoso, OpsConfig(float(s[P + "eac"]) * PJ, float(s[P + "emac"]) * PJ)


def pick_workload() -> Workload | None:
    """The network to cost, from typed sizes or a saved run; None (with a message) if unusable."""
    st.radio("Network", SOURCES, key=P + "source", horizontal=True)
    if st.session_state[P + "source"] == "A saved run":
        return pick_run()
    if st.session_state[P + "source"] == "A NIR file":
        run_id = nir_parts.upload_run(list_runs.clear)
        try:
            return None if run_id is None else nir_workload(run_id, None)
        except ValueError as exc:
            st.error(md(exc, 600))
            return None
    a, b, c = st.columns([2, 2, 1])
    a.text_input("Layer sizes, input first", key=P + "arch")
    b.text_input("Spikes per layer in one frame", key=P + "spikes")
    c.number_input("Time steps", 1, 1000, key=P + "steps")
    st.checkbox("Recurrent hidden layers", key=P + "recurrent",
                help="Every hidden layer also projects onto itself, as SpyTorch's networks do.")
    try:
        sizes = parse_arch(st.session_state[P + "arch"])
        spikes = parse_spikes(st.session_state[P + "spikes"])
        return fc_workload(sizes, spikes or (), int(st.session_state[P + "steps"]),
                           recurrent=bool(st.session_state[P + "recurrent"]))
    except ValueError as exc:
        st.error(f"{md(exc, 600)} Example: sizes 784-800-10 with spikes 100,80,10.")
        return None


def pick_run() -> Workload | None:
    from core.store import default_db_path

    db = str(default_db_path())
    try:
        runs, skipped = list_runs(db)
    except ValueError as exc:
        st.error(md(exc, 600))
        return None
    if skipped:
        st.caption(f"Skipped run(s) {', '.join(map(str, skipped))}: their stored JSON cannot be "
                   "read.")
    if not runs:
        st.info("No saved training runs yet: train one (surrogate, ReL-PSP or a NAS search) "
                f"or type an architecture. Runs are read from {db}.")
        return None
    labels = {run_id: label for run_id, label, _ in runs}
    if st.session_state[P + "run"] not in labels:
        if st.session_state[P + "run"] is not None:
            add_note(f"run {st.session_state[P + 'run']} is not a saved training run here, so "
                     "the page costs the newest")
            show_notes()
        st.session_state[P + "run"] = runs[0][0]
    a, b = st.columns([3, 2])
    a.selectbox("Run", list(labels), format_func=labels.get, key=P + "run")
    b.text_input("Spikes per layer (override)", key=P + "run_spikes",
                 help="Needed when the run records no metrics['spikes_per_layer'].")
    try:
        spikes = parse_spikes(st.session_state[P + "run_spikes"])
        run_id = int(st.session_state[P + "run"])
        if dict((i, kind) for i, _, kind in runs)[run_id] == "nir":
            return nir_workload(run_id, spikes)
        st.session_state[CHOSEN] = run_id
        return run_workload(db, run_id, spikes)
    except ValueError as exc:
        st.error(md(exc, 600))
        return None


def nir_workload(run_id: int, spikes: tuple[float, ...] | None) -> Workload | None:
    """An imported network: its summary and simulation, then its workload once simulated."""
    from core.hardware.runs import workload_from_run
    from core.store import RunStore, default_db_path

    db = str(default_db_path())
    st.session_state[CHOSEN] = run_id
    nir_parts.network_summary(RunStore(db).get_run(run_id))
    nir_parts.simulate_panel(db, RunStore(db).get_run(run_id), list_runs.clear)
    run = RunStore(db).get_run(run_id)  # read again: a finished simulation stored its counts
    if spikes is None and not run.metrics.get("spikes_per_layer"):
        st.info("Simulate the network on a data set to price it (or give its spike counts "
                "under *A saved run*).")
        return None
    return workload_from_run(run, spikes)


def si(value: float | None, unit: str) -> str:
    """``1.22e-6, "J"`` -> ``1.22 µJ``; a dash for None."""
    if value is None:
        return "—"
    for factor, prefix in ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def metrics_row(reports: dict[str, EnergyReport]) -> None:
    main = reports.get("yoso") or reports["ops"]
    st.caption(f"Headline figures from the {MODEL_TITLES[main.model]} model.")
    cols = st.columns(6)
    cols[0].metric("Energy / frame", si(main.energy_per_frame_j, "J"))
    cols[1].metric("Latency", si(main.latency_s, "s"))
    cols[2].metric("Power", si(main.power_w, "W"))
    cols[3].metric("Synaptic ops", f"{main.synaptic_ops:,.0f}")
    cols[4].metric("ANN energy", si(main.ann_energy_j, "J"))
    cols[5].metric("ANN / SNN", "—" if main.ann_ratio is None else f"{main.ann_ratio:.3g}×")


def layer_table(report: EnergyReport) -> pd.DataFrame:
    return pd.DataFrame([{
        "layer": x.name, "neurons": x.neurons, "spikes": x.spikes, "synaptic ops (AC)":
        x.synaptic_ops, "MACs": x.macs, "ops per step": x.ops_per_step, "sparsity": x.sparsity,
        "ANN MACs": x.dense_macs,
    } for x in report.layers])


def calibration_panel(yoso: YosoConfig, ops: OpsConfig) -> None:
    fig = RELPSP_YOSO_MNIST
    with st.expander("Calibration against the published YOSO figure", expanded=False):
        try:
            cal = calibrate(_model("yoso", yoso, ops))
        except ValueError as exc:
            st.error(f"{exc} The published network is 784-800-10; enlarge the mesh for it.")
            return
        st.caption(f"{fig.label}: {fig.source}. Spikes: every neuron fires once (YOSO's "
                   "one-spike bound). The ratios are computed with the parameters on the left.")
        st.dataframe(pd.DataFrame({
            "": ["energy per frame (µJ)", "latency (ms)", "power (mW)"],
            "published": [fig.energy_per_frame_j * 1e6, fig.latency_s * 1e3, fig.power_w * 1e3],
            "model": [cal.report.energy_per_frame_j * 1e6, (cal.report.latency_s or 0) * 1e3,
                      (cal.report.power_w or 0) * 1e3],
            "model / published": [cal.energy_ratio, cal.latency_ratio, cal.power_ratio],
        }), hide_index=True, key=P + "calibration")


def save_estimate(workload: Workload, reports: dict[str, EnergyReport], yoso: YosoConfig) -> None:
    from core.store import RunStore

    try:
        run_id = RunStore().save_run(
            "hardware", {"network": workload.label, "sizes": list(workload.sizes),
                         "spikes": list(workload.spikes), "mesh": yoso.__dict__},
            metrics={name: r.to_dict() for name, r in reports.items()}, name=workload.label)
    except ValueError as exc:
        st.error(f"{exc}")
        return
    st.success(f"Saved as run {run_id}.")


def mesh_panel(report: EnergyReport) -> None:
    st.subheader("The mesh")
    chart(mesh_figure(mesh_view(report.extra["mesh"])), P + "mesh_fig")
    st.caption("Each PE is labelled with the layer it holds (L1 = first hidden layer) and "
               "the fraction of the frame its core was busy. Input spikes enter and output "
               "spikes leave at router (0, 0). " + " ".join(report.notes))


def neurobench_section(run_id: int) -> None:
    """NeuroBench's counts beside SpikeLab's for the run being priced (nir or surrogate)."""
    from core.store import RunStore, default_db_path

    db = str(default_db_path())
    nir_parts.neurobench_panel(db, RunStore(db).get_run(run_id))


def main() -> None:
    st.title("Hardware")
    st.caption("How much energy would this take on a chip? The YOSO accelerator (a mesh of "
               "processing elements, simulated spike by spike) beside the field's standard "
               "operation counts: E = E_AC · spikes · fan-out, against E_MAC per synapse for the "
               "ANN of the same shape (Horowitz, ISSCC 2014).")
    init_state()
    show_notes()
    try:
        yoso, ops = sidebar()
    except ValueError as exc:
        st.error(f"{exc}")
        return
    workload = pick_workload()
    if workload is None:
        return
    reports: dict[str, EnergyReport] = {}
    try:
        YosoModel(yoso).check(workload)
        with st.spinner(f"Simulating one frame on the {yoso.rows}×{yoso.cols} mesh: "
                        f"{frame_packets(workload, yoso):,} spike packets, each routed and "
                        "queued…"):
            reports["yoso"] = estimate("yoso", workload, yoso, ops)
    except ValueError as exc:
        st.warning(f"YOSO: {exc}")
    reports["ops"] = estimate("ops", workload, yoso, ops)
    reports["ann"] = estimate("ann", workload, yoso, ops)
    metrics_row(reports)
    main_report = reports.get("yoso") or reports["ops"]
    st.subheader("Spikes and synaptic operations per layer")
    chart(layer_figure(layer_bars(main_report)), P + "layers_fig")
    st.dataframe(layer_table(main_report), hide_index=True, key=P + "layers_table")
    csv_button(layer_table(main_report), "layers", P + "layers_csv", label="Download table (CSV)")
    left, right = st.columns(2)
    with left:
        st.subheader("Energy breakdown")
        chart(breakdown_figure(list(reports), energy_breakdown(reports)), P + "breakdown_fig")
    with right:
        st.subheader("Energy against spike rate")
        sweep_slot = st.container()
    if "yoso" in reports:
        mesh_panel(reports["yoso"])
    if st.session_state[CHOSEN] is not None:
        neurobench_section(int(st.session_state[CHOSEN]))
    calibration_panel(yoso, ops)
    if st.button("Save this estimate", key=P + "save"):
        save_estimate(workload, reports, yoso)
    with sweep_slot:  # last: the rest of the page is on screen while the sweep runs
        sweep_panel(workload, yoso, ops, "yoso" in reports)


main()
publish(P, FIELDS)
