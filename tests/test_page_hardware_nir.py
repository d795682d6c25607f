"""AppTest of the Hardware page's imported networks: a .nir upload is imported, simulated on
digits in a background job, priced, and counted by NeuroBench beside SpikeLab."""

from __future__ import annotations

from pathlib import Path

import nir
import pytest
from streamlit.testing.v1 import AppTest

from core.interop.neurobench import energy_fields
from core.interop.nir_run import import_nir
from core.store import RunStore
from tests.nir_support import library_graph
from tests.support import wait_while_running
from tests.url_roundtrip import roundtrip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "hardware.py")


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "runs.db"
    monkeypatch.setenv("SPIKELAB_DB", str(path))
    return path


@pytest.fixture
def nir_bytes(tmp_path: Path) -> bytes:
    """A 64-20-10 graph (LIF, then CubaLIF) as the libraries write it: digits' shape."""
    path = tmp_path / "net.nir"
    nir.write(str(path), library_graph(n_in=64, hidden=20, n_out=10))
    return path.read_bytes()


def frame(at: AppTest, column: str):
    """The first table with ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_an_uploaded_file_is_imported_simulated_priced_and_counted(db: Path, nir_bytes: bytes
                                                                   ) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="hw_source").set_value("A NIR file").run()
    assert not at.exception and "Upload a .nir file" in at.info[0].value
    at.file_uploader(key="hw_nir_file").set_value(("net.nir", nir_bytes, "application/x-hdf5"))
    at.run()
    assert not at.exception and not at.error
    run = RunStore(db).list_runs(kind="nir")[0]
    assert f"run {run.id}" in at.success[0].value
    assert any("Forward Euler at dt = 0.0001 s, order euler" in c.value for c in at.caption)
    assert frame(at, "nir_type")["nir_type"].tolist() == ["LIF", "CubaLIF"]
    assert at.selectbox(key="hw_dataset").options == ["8x8 handwritten digits"]
    assert any("Simulate the network" in i.value for i in at.info)
    at.number_input(key="hw_samples").set_value(40)
    at.button(key="hw_simulate").click().run()
    wait_while_running(at, "hw_sim_job")
    assert not at.exception and not at.error and not at.warning
    stored = RunStore(db).get_run(run.id).metrics
    assert stored["samples"] == 40 and stored["dataset"] == "digits"
    assert metric(at, "Accuracy") == f"{stored['accuracy']:.3f}"
    spikes = frame(at, "spikes per sample")["spikes per sample"].tolist()
    assert spikes[0] == pytest.approx(stored["spikes_per_layer"][0], abs=0.01)
    assert "Synaptic ops" in [m.label for m in at.metric]  # priced like any run
    at.run()  # the upload is not imported twice
    assert len(RunStore(db).list_runs(kind="nir")) == 1
    at.number_input(key="hw_nb_samples").set_value(40)
    at.button(key="hw_nb_go").click().run()
    wait_while_running(at, "hw_nb_job", 180)
    assert not at.exception and not at.warning
    table = frame(at, "NeuroBench 2.3 (Yik et al., Nat. Commun. 16, 1545, 2025)")
    assert "SpikeLab (every spike × its synapses, hardware convention)" in table.columns
    assert metric(at, "SpikeLab / NeuroBench synaptic operations") == "1.0000"
    text = " ".join(m.value for m in at.markdown)
    assert "Recurrent weights, last step" in text and "Analog input as MACs" in text
    # The page's job counts in chunks (progress, stop) and gives energy_fields' figures.
    shown = at.session_state["hw_nb_result"]
    fields = energy_fields(RunStore(db).get_run(run.id), samples=40)
    assert {k: shown[k] for k in fields} == pytest.approx(fields)


def test_a_broken_file_is_refused_in_a_sentence(db: Path, nir_bytes: bytes) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="hw_source").set_value("A NIR file").run()
    at.file_uploader(key="hw_nir_file").set_value(("cut.nir", nir_bytes[:300], "x"))
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("cut\\.nir:")  # escaped for Markdown
    assert not RunStore(db).list_runs(kind="nir")


def test_a_saved_nir_run_is_offered_and_asks_to_be_simulated(db: Path, nir_bytes: bytes
                                                             ) -> None:
    run_id = import_nir(nir_bytes, RunStore(db), name="saved.nir")["run_id"]
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="hw_source").set_value("A saved run").run()
    assert not at.exception and at.selectbox(key="hw_run").value == run_id
    assert "not simulated yet" in at.selectbox(key="hw_run").format_func(run_id)
    assert any("Simulate the network" in i.value for i in at.info)


def test_url_round_trips_the_simulation_settings(db: Path, nir_bytes: bytes) -> None:
    run_id = import_nir(nir_bytes, RunStore(db), name="linked.nir")["run_id"]

    def change(at: AppTest) -> None:
        at.radio(key="hw_source").set_value("A saved run").run()
        at.number_input(key="hw_samples").set_value(50).run()

    again, query = roundtrip(PAGE, change, ["hw_source", "hw_run", "hw_samples"])
    assert query == {"source": "A saved run", "run": str(run_id), "samples": "50"}
    assert again.number_input(key="hw_samples").value == 50


def test_the_page_jobs_stop_between_chunks_and_store_nothing(db: Path, nir_bytes: bytes) -> None:
    import threading

    from core.interop import work
    from core.progress import Count

    store = RunStore(db)
    run_id = import_nir(nir_bytes, store, name="stop.nir")["run_id"]
    stop, seen = threading.Event(), []
    stop.set()
    assert work.simulate(str(db), run_id, "digits", None, 300, False, stop=stop,
                         report=seen.append) is None
    assert "spikes_per_layer" not in store.get_run(run_id).metrics
    stop.clear()
    result = work.simulate(str(db), run_id, "digits", None, 300, False, stop=stop,
                           report=seen.append)
    assert result["samples"] == 300 and seen[-2:] == [Count(256, 300, "samples (simulated)"),
                                                      Count(300, 300, "samples (simulated)")]
    stop.set()
    assert work.neurobench(str(db), run_id, 40, None, False, stop=stop,
                           report=seen.append) is None


def test_a_surrogate_run_offers_neurobench_and_a_typed_network_does_not(db: Path) -> None:
    import torch

    weights = {"w1": torch.zeros(64, 20), "w2": torch.zeros(20, 10)}
    RunStore(db).save_run("surrogate", {"dataset": "digits", "steps": 10}, weights=weights,
                          metrics={"spikes_per_layer": [80, 30, 0]})
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not [b for b in at.button if b.key == "hw_nb_go"]
    at.radio(key="hw_source").set_value("A saved run").run()
    assert not at.exception and at.button(key="hw_nb_go").label == "Count with NeuroBench"


def test_without_neurobench_the_button_says_what_to_install(db: Path, monkeypatch) -> None:
    import torch

    from app import hardware_nir

    weights = {"w1": torch.zeros(64, 20), "w2": torch.zeros(20, 10)}
    RunStore(db).save_run("surrogate", {"dataset": "digits", "steps": 10}, weights=weights,
                          metrics={"spikes_per_layer": [80, 30, 0]})
    monkeypatch.setattr(hardware_nir, "neurobench_installed", lambda: False)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="hw_source").set_value("A saved run").run()
    assert not at.exception and at.button(key="hw_nb_go").disabled
    assert any(hardware_nir.NEUROBENCH_PIN in i.value and "make run" in i.value
               for i in at.info)


def test_an_upload_takes_the_clis_dt_order_and_norse_convention(db: Path) -> None:
    pytest.importorskip("norse.torch")
    from tests.test_nir_norse import norse_net, portable, to_nir

    path = db.parent / "norse.nir"
    nir.write(str(path), portable(to_nir(norse_net(), torch_zeros(64))))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="hw_source").set_value("A NIR file").run()
    at.file_uploader(key="hw_nir_file").set_value(("norse.nir", path.read_bytes(), "x")).run()
    assert not at.exception and "Norse convention" in at.error[0].value
    assert not RunStore(db).list_runs(kind="nir")
    at.selectbox(key="hw_nir_convention").set_value("norse").run()
    assert not at.exception and not at.error
    (run,) = RunStore(db).list_runs(kind="nir")
    assert run.config["convention"] == "norse" and run.config["dt_s"] == 1e-3
    assert any("dt = 0.001 s" in c.value and "Norse" in c.value for c in at.caption)
    at.selectbox(key="hw_nir_order").set_value("snntorch").run()
    at.number_input(key="hw_nir_dt").set_value(5e-4).run()
    assert not at.exception
    newest = RunStore(db).list_runs(kind="nir")[0]
    assert newest.config["order"] == "snntorch" and newest.config["dt_s"] == 5e-4
    again = AppTest.from_file(PAGE, default_timeout=60).run()  # another session, same file
    again.radio(key="hw_source").set_value("A NIR file").run()
    again.file_uploader(key="hw_nir_file").set_value(("n.nir", path.read_bytes(), "x")).run()
    again.selectbox(key="hw_nir_convention").set_value("norse").run()
    assert len(RunStore(db).list_runs(kind="nir")) == 3  # the first norse import is reused
    assert any("already run" in c.value for c in again.caption)


def test_the_simulation_says_its_input_and_offers_analog_current(db: Path, nir_bytes: bytes
                                                                 ) -> None:
    run_id = import_nir(nir_bytes, RunStore(db), name="analog.nir")["run_id"]
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="hw_source").set_value("A saved run").run()
    assert at.selectbox(key="hw_run").value == run_id
    assert any("time-to-first-spike" in c.value for c in at.caption)
    at.radio(key="hw_sim_input").set_value("current").run()
    assert any("analog currents" in c.value for c in at.caption)
    at.number_input(key="hw_samples").set_value(20)
    at.button(key="hw_simulate").click().run()
    wait_while_running(at, "hw_sim_job")
    assert not at.exception and not at.error
    assert RunStore(db).get_run(run_id).metrics["input_encoding"] == "current"
    assert at.session_state["hw_sim_result"]["input_encoding"] == "current"


def torch_zeros(n: int):
    import torch

    return torch.zeros(1, n)
