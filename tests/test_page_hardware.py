"""AppTest of the Hardware page: typed architectures, saved runs, parameters and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from app.text import md
from core.hardware import YosoConfig, fc_workload, make_model
from core.hardware.yoso import YosoModel
from core.store import RunStore
from tests.url_roundtrip import fresh, notices, roundtrip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "hardware.py")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def si(value: float, unit: str) -> str:
    for factor, prefix in ((1e-3, "m"), (1e-6, "µ"), (1e-9, "n")):
        if value >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    raise AssertionError(value)


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "runs.db"
    monkeypatch.setenv("SPIKELAB_DB", str(path))
    return path


@pytest.fixture
def at(db: Path) -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def test_default_network_shows_yoso_figures(at: AppTest) -> None:
    assert not at.exception and not at.error
    expected = YosoModel().estimate(fc_workload((784, 800, 10), (100, 80, 10)))
    assert metric(at, "Energy / frame") == f"{expected.energy_per_frame_j * 1e6:.3g} µJ"
    assert metric(at, "Latency") == f"{expected.latency_s * 1e6:.3g} µs"
    assert any("YOSO mesh model" in c.value for c in at.caption)
    assert metric(at, "Synaptic ops") == "80,800"
    keys = {chart.proto.id for chart in at.get("plotly_chart")}
    assert len(keys) == 4  # layers, breakdown, sweep, mesh
    table = at.dataframe[0].value
    assert table["synaptic ops (AC)"].tolist() == [80000, 800, 0]


def test_hardware_parameters_change_the_estimate(at: AppTest) -> None:
    at.number_input(key="hw_clock").set_value(200.0).run()
    at.number_input(key="hw_leak").set_value(0.0).run()
    assert not at.exception
    expected = YosoModel(YosoConfig(clock_hz=200e6, leakage_w_per_pe=0.0)).estimate(
        fc_workload((784, 800, 10), (100, 80, 10)))
    assert metric(at, "Latency") == f"{expected.latency_s * 1e6:.3g} µs"
    assert metric(at, "Energy / frame") == si(expected.energy_per_frame_j, "J")


def test_recurrent_hidden_layers_cost_their_own_spikes(at: AppTest) -> None:
    at.text_input(key="hw_arch").set_value("100-200-10")
    at.text_input(key="hw_spikes").set_value("50,40,10")
    at.checkbox(key="hw_recurrent").check().run()
    assert not at.exception and not at.warning
    expected = YosoModel().estimate(fc_workload((100, 200, 10), (50, 40, 10), recurrent=True))
    assert expected.synaptic_ops == 50 * 200 + 40 * (10 + 200)
    assert metric(at, "Synaptic ops") == f"{expected.synaptic_ops:,.0f}"
    assert metric(at, "Energy / frame") == si(expected.energy_per_frame_j, "J")
    # 784-800-10 with its 800 x 800 recurrent weights no longer fits a 64 KiB weight SRAM.
    at.text_input(key="hw_arch").set_value("784-800-10")
    at.text_input(key="hw_spikes").set_value("100,80,10").run()
    assert not at.exception
    assert any("does not fit" in w.value and "1584 inputs" in w.value for w in at.warning)


def test_too_large_network_warns_and_keeps_the_op_counts(at: AppTest) -> None:
    at.text_input(key="hw_arch").set_value("784-2000-10").run()
    assert not at.exception
    assert any("needs 33 PEs" in w.value for w in at.warning)
    ops = make_model("ops").estimate(fc_workload((784, 2000, 10), (100, 80, 10)))
    assert metric(at, "Energy / frame") == f"{ops.energy_per_frame_j * 1e9:.3g} nJ"
    assert any("SNN op count model" in c.value for c in at.caption)
    at.number_input(key="hw_rows").set_value(6).run()
    at.number_input(key="hw_cols").set_value(6).run()
    assert not at.warning and any("YOSO mesh model" in c.value for c in at.caption)


def test_bad_input_shows_an_error_not_a_traceback(at: AppTest) -> None:
    at.text_input(key="hw_spikes").set_value("100,80").run()
    assert not at.exception
    assert "3 layers" in at.error[0].value
    at.text_input(key="hw_spikes").set_value("100,eighty,10").run()
    assert not at.exception and "numbers separated by commas" in at.error[0].value


def test_saved_runs_are_listed_and_costed(db: Path) -> None:
    store = RunStore(db)
    weights = {"w1": torch.zeros(64, 20), "w2": torch.zeros(20, 10)}
    bare = store.save_run("surrogate", {"steps": 10}, weights=weights, name="no counts")
    good = store.save_run("surrogate", {"steps": 10}, weights=weights, name="counted",
                          metrics={"spikes_per_layer": [80, 30], "test_accuracy": 0.91})
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="hw_source").set_value("A saved run").run()
    assert not at.exception
    assert at.selectbox(key="hw_run").value == good
    assert metric(at, "Synaptic ops") == f"{80 * 20 + 30 * 10:,}"
    at.selectbox(key="hw_run").set_value(bare).run()
    assert not at.exception and md("spikes_per_layer") in at.error[0].value  # escaped
    at.text_input(key="hw_run_spikes").set_value("10,5,0").run()
    assert not at.error and metric(at, "Synaptic ops") == f"{10 * 20 + 5 * 10:,}"
    at.button(key="hw_save").click().run()
    assert not at.exception and "Saved as run" in at.success[0].value
    assert store.list_runs(kind="hardware")[0].metrics["yoso"]["synaptic_ops"] == 250


def test_no_saved_runs_says_what_to_do(at: AppTest) -> None:
    at.radio(key="hw_source").set_value("A saved run").run()
    assert not at.exception
    assert "No saved training runs yet" in at.info[0].value


def test_a_large_mesh_opens_at_once_and_sweeps_on_request(at: AppTest) -> None:
    """Issue 13, item 12: 784-4096-4096-10 on a 64x64 mesh stalled the page for a minute."""
    for key, value in {"hw_rows": 64, "hw_cols": 64, "hw_npe": 4}.items():
        at.number_input(key=key).set_value(value)
    at.text_input(key="hw_arch").set_value("784-4096-4096-10")
    at.text_input(key="hw_spikes").set_value("784,4096,4096,10").run()
    assert not at.exception and not at.warning
    cfg = YosoConfig(rows=64, cols=64, neurons_per_pe=4)
    work = fc_workload((784, 4096, 4096, 10), (784, 4096, 4096, 10))
    expected = YosoModel(cfg).estimate(work)
    assert metric(at, "Synaptic ops") == f"{expected.synaptic_ops:,.0f}"
    sweep_button = at.button(key="hw_sweep_go")
    assert "13 spike rates" in sweep_button.label and "million packets" in sweep_button.label
    # the formula models' curves are drawn at once, YOSO's waits for the button
    assert {"SNN op count", "ANN, same shape"} <= sweep_traces(at)
    assert "YOSO mesh" not in sweep_traces(at)
    sweep_button.click().run()
    assert not at.exception
    assert "YOSO mesh" in sweep_traces(at)
    at.run()  # the finished sweep stays on screen without pressing again
    assert "YOSO mesh" in sweep_traces(at)


def test_a_frame_beyond_the_simulator_limit_is_refused_with_the_op_counts_kept(at: AppTest
                                                                              ) -> None:
    for key, value in {"hw_rows": 64, "hw_cols": 64, "hw_npe": 4, "hw_steps": 100}.items():
        at.number_input(key=key).set_value(value)
    at.text_input(key="hw_arch").set_value("784-4096-4096-10")
    at.text_input(key="hw_spikes").set_value("784,40960,40960,10").run()
    assert not at.exception
    assert any("at most 20,000,000" in w.value for w in at.warning)
    assert any("SNN op count model" in c.value for c in at.caption)


def sweep_traces(at: AppTest) -> set[str]:
    chart = next(c for c in at.get("plotly_chart") if "spikes per neuron per step"
                 in c.proto.spec)
    return {trace.get("name") for trace in json.loads(chart.proto.spec)["data"]}


def test_url_round_trips_the_configuration(db: Path) -> None:
    def change(at: AppTest) -> None:
        at.text_input(key="hw_arch").set_value("100-50-10").run()
        at.text_input(key="hw_spikes").set_value("20,10,2").run()
        at.number_input(key="hw_rows").set_value(2).run()
        at.number_input(key="hw_eac").set_value(0.5).run()

    keys = ["hw_arch", "hw_spikes", "hw_rows", "hw_eac"]
    again, query = roundtrip(PAGE, change, keys)
    assert query == {"arch": "100-50-10", "spikes": "20,10,2", "rows": "2", "eac": "0.5"}
    assert metric(again, "Synaptic ops") == f"{20 * 50 + 10 * 10:,}"


def test_a_stale_run_and_bad_values_are_noted(db: Path) -> None:
    RunStore(db).save_run("surrogate", {"dataset": "digits", "hidden": 8, "steps": 5},
                          metrics={"spikes_per_layer": [10.0, 5.0, 1.0]})
    at = fresh(PAGE, {"source": "A saved run", "run": "77", "rows": "500", "clock": "fast"})
    assert not at.exception
    text = notices(at)
    assert "`rows=500` is out of range" in text and "`clock`" in text
    assert "run 77 is not a saved training run" in text
    assert at.number_input(key="hw_rows").value == 64
