"""The Loihi-style per-event model against hand computations, on the command line and on the
Hardware page: added as one file and one registry line, with no other change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.cli import main
from core.hardware import conv_workload, fc_workload, make_model
from core.hardware.loihi import LoihiConfig
from core.hardware.runs import workload_from_run
from core.store import RunStore
from tests.url_roundtrip import roundtrip

PJ = 1e-12
PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "hardware.py")


def test_one_frame_by_hand() -> None:
    report = make_model("loihi").estimate(fc_workload((784, 800, 10), (100, 80, 10)))
    synops = 100 * 800 + 80 * 10
    updates, active = 800 + 10, 80 + 10
    messages = 100 + 80  # the output layer's spikes reach no synapse
    assert report.breakdown["synaptic spike ops"] == pytest.approx(synops * 23.6 * PJ)
    assert report.breakdown["neuron updates"] == pytest.approx(
        (updates - active) * 52 * PJ + active * 81 * PJ)
    assert report.breakdown["spike messages"] == pytest.approx(messages * 1.7 * PJ)
    assert report.energy_per_frame_j == pytest.approx(1_951_916 * PJ)
    assert sum(layer.energy_j for layer in report.layers) == pytest.approx(
        report.energy_per_frame_j)
    assert report.layers[0].energy_j == pytest.approx((100 * 800 * 23.6 + 100 * 1.7) * PJ)
    assert report.latency_s is None and report.power_w is None
    assert report.ann_energy_j == pytest.approx((784 * 800 + 800 * 10) * 4.6 * PJ)


def test_time_steps_recurrence_and_parameters() -> None:
    work = fc_workload((10, 20, 5), (30, 40, 0), time_steps=4, recurrent=True)
    config = LoihiConfig(e_synop_j=10 * PJ, e_neuron_j=2 * PJ, e_active_j=3 * PJ,
                         e_spike_j=1 * PJ)
    report = make_model("loihi", config).estimate(work)
    synops = 30 * 20 + 40 * (5 + 20)
    updates, active = (20 + 5) * 4, 40
    expected = synops * 10 + (updates - active) * 2 + active * 3 + (30 + 40) * 1
    assert report.energy_per_frame_j == pytest.approx(expected * PJ)
    silent = make_model("loihi").estimate(fc_workload((10, 20, 5), (0, 0, 0), time_steps=4))
    assert silent.energy_per_frame_j == pytest.approx((20 + 5) * 4 * 52 * PJ)  # leak only


def test_non_spike_input_and_bad_values_are_refused() -> None:
    conv = conv_workload((1, 8, 8), [(4, 3), (8, 3)], (0,), 10, (20, 10), time_steps=4)
    with pytest.raises(ValueError, match="Loihi's cores take spikes only: the input layer"):
        make_model("loihi").estimate(conv)
    with pytest.raises(ValueError, match=r"E per synaptic op \(pJ\) must be 0 or more"):
        LoihiConfig(e_synop_j=-PJ)
    with pytest.raises(ValueError, match=r"spike message \(pJ\) must be 0 or more \(got nan"):
        make_model("loihi", e_spike_j=float("nan"))


def test_energy_command_prices_a_saved_run(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    store = RunStore(tmp_path / "runs.db")
    weights = {"w1": torch.zeros(64, 20), "w2": torch.zeros(20, 10)}
    run = store.save_run("surrogate", {"steps": 20}, weights=weights,
                         metrics={"spikes_per_layer": [50, 30]})
    args = ["energy", "--hardware", "loihi", "--run", str(run), "--db", str(tmp_path / "runs.db"),
            "--e-synop-pj", "10", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    work = workload_from_run(store.get_run(run))
    expected = make_model("loihi", e_synop_j=10 * PJ).estimate(work)
    assert out["synaptic_ops"] == 50 * 20 + 30 * 10
    assert out["hardware"] == "loihi" and out["latency_s"] is None
    assert out["energy_per_frame_j"] == pytest.approx(expected.energy_per_frame_j)
    assert set(out["breakdown"]) == {"synaptic spike ops", "neuron updates", "spike messages"}
    assert main(["energy", "--hardware", "loihi", "--arch", "64-20-10", "--spikes", "5,5,5",
                 "--e-neuron-pj", "-1", "--json"]) == 2
    assert "E per neuron update (pJ) must be 0 or more" in capsys.readouterr().err


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "runs.db"
    monkeypatch.setenv("SPIKELAB_DB", str(path))
    return path


def test_the_hardware_page_prices_the_network_on_loihi(db: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.warning
    assert at.number_input(key="hw_esynop").value == 23.6
    assert any("Loihi (per event)" in c.proto.spec for c in at.get("plotly_chart"))
    at.number_input(key="hw_esynop").set_value(10.0).run()
    at.button(key="hw_save").click().run()
    assert not at.exception and "Saved as run" in at.success[0].value
    saved = RunStore(db).list_runs(kind="hardware")[0]
    expected = make_model("loihi", e_synop_j=10 * PJ).estimate(
        fc_workload((784, 800, 10), (100, 80, 10)))
    assert saved.metrics["loihi"]["energy_per_frame_j"] == pytest.approx(
        expected.energy_per_frame_j)
    assert saved.config["hardware"]["loihi"]["e_synop_j"] == pytest.approx(10 * PJ)


def test_the_page_link_keeps_loihi_parameters(db: Path) -> None:
    def change(at: AppTest) -> None:
        at.number_input(key="hw_eneuron").set_value(40.0).run()

    _, query = roundtrip(PAGE, change, ["hw_eneuron"])
    assert query == {"eneuron": "40"}
