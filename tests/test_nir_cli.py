"""``import-nir``, ``simulate-net`` and ``neurobench`` from the shell; a nir run priced."""

from __future__ import annotations

import json
from pathlib import Path

import nir
import numpy as np
import pytest

from core.cli import main
from core.hardware.ops import OpsModel
from core.hardware.runs import workload_from_run
from core.hardware.yoso import YosoModel
from core.store import RunStore
from tests.nir_support import cuba_lif, lif


def _write(path, n_out: int = 10, hidden: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    nodes = {
        "input": nir.Input(input_type={"input": np.array([64])}),
        "fc1": nir.Affine(weight=(2.0 * rng.normal(size=(hidden, 64))).astype(np.float32),
                          bias=np.zeros(hidden, np.float32)),
        "lif1": lif(hidden),
        "fc2": nir.Linear(weight=(1.5 * rng.normal(size=(n_out, hidden))).astype(np.float32)),
        "lif2": cuba_lif(n_out),
        "output": nir.Output(output_type={"output": np.array([n_out])}),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"),
             ("lif2", "output")]
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges))
    return path


def _run(argv, capsys):
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, (json.loads(captured.out.strip().splitlines()[-1]) if code == 0
                  else captured.err.strip())


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("SPIKELAB_DB", str(path))
    return path


def test_import_simulate_and_price_a_nir_file(tmp_path, db, capsys):
    code, imported = _run(["import-nir", "--file", str(_write(tmp_path / "net.nir"))], capsys)
    assert code == 0
    assert imported["layer_sizes"] == [64, 16, 10]
    assert [n["nir_type"] for n in imported["neurons"]] == ["LIF", "CubaLIF"]
    assert imported["dt_s"] == pytest.approx(1e-4) and imported["order"] == "euler"
    run_id = imported["run_id"]
    code, sim = _run(["simulate-net", "--run", str(run_id), "--dataset", "digits",
                      "--samples", "12", "--steps", "20"], capsys)
    assert code == 0
    assert 0.0 <= sim["accuracy"] <= 1.0 and sim["samples"] == 12 and sim["time_steps"] == 20
    assert len(sim["spikes_per_layer"]) == 3 and sim["spikes_per_layer"][0] > 0
    run = RunStore(db).get_run(run_id)
    assert run.kind == "nir" and run.metrics["spikes_per_layer"] == sim["spikes_per_layer"]
    workload = workload_from_run(run)
    assert workload.fully_connected and workload.time_steps == 20
    ops = OpsModel().estimate(workload)
    assert ops.synaptic_ops == pytest.approx(sim["effective_acs"])
    assert ops.activation_sparsity == pytest.approx(sim["activation_sparsity"])
    assert YosoModel().estimate(workload).latency_s > 0
    code, energy = _run(["energy", "--hardware", "ops", "--run", str(run_id)], capsys)
    assert code == 0 and energy["synaptic_ops"] == pytest.approx(sim["effective_acs"])
    code, bench = _run(["neurobench", "--run", str(run_id), "--samples", "12"], capsys)
    assert code == 0 and bench["synops_ratio"] == pytest.approx(1.0, rel=0.01)


def test_output_that_maps_to_no_class_gives_null_accuracy(tmp_path, db, capsys):
    _, imported = _run(["import-nir", "--file", str(_write(tmp_path / "n.nir", n_out=5))],
                       capsys)
    code, sim = _run(["simulate-net", "--run", str(imported["run_id"]), "--samples", "4",
                      "--steps", "10"], capsys)
    assert code == 0 and sim["accuracy"] is None and "5 units" in sim["accuracy_note"]


def test_bad_files_and_runs_are_one_line_errors(tmp_path, db, capsys):
    good = _write(tmp_path / "net.nir").read_bytes()
    (tmp_path / "cut.nir").write_bytes(good[: len(good) // 3])
    code, err = _run(["import-nir", "--file", str(tmp_path / "cut.nir")], capsys)
    assert code == 2 and err.startswith("error:") and "not a readable NIR file" in err
    assert len(err.splitlines()) == 1
    code, err = _run(["simulate-net", "--run", "7"], capsys)
    assert code == 2 and "There is no run 7" in err
    _, imported = _run(["import-nir", "--file", str(tmp_path / "net.nir"), "--dt", "1"], capsys)
    assert "error:" in imported and "shorter than the time step" in imported
    _, imported = _run(["import-nir", "--file", str(tmp_path / "net.nir")], capsys)
    code, err = _run(["simulate-net", "--run", str(imported["run_id"]), "--dataset", "braille",
                      "--data-path", str(tmp_path / "missing.pkl.gz"), "--no-download"], capsys)
    errors = [line for line in err.splitlines() if line.startswith("error")]
    assert code == 2 and len(errors) == 1 and "missing.pkl.gz" in errors[0]


def test_trace_sample_gives_the_inspector_rasters_and_membranes(tmp_path, db):
    from core.interop.nir_run import import_nir, trace_sample

    store = RunStore(db)
    run_id = import_nir(_write(tmp_path / "net.nir"), store)["run_id"]
    traced = trace_sample(store.get_run(run_id), "digits", index=3, steps=20)
    assert [layer["name"] for layer in traced["layers"]] == ["input", "lif1", "lif2"]
    assert [layer["spikes"].shape for layer in traced["layers"]] == [(20, 64), (20, 16), (20, 10)]
    assert traced["layers"][1]["mem"].shape == (20, 16)
    assert traced["predicted"] in range(10) and traced["label"] in range(10)


def test_energy_neurobench_flag_adds_neurobenchs_counts(tmp_path, db, capsys):
    _, imported = _run(["import-nir", "--file", str(_write(tmp_path / "net.nir"))], capsys)
    run_id = str(imported["run_id"])
    _run(["simulate-net", "--run", run_id, "--samples", "8", "--steps", "15"], capsys)
    code, out = _run(["energy", "--hardware", "ops", "--run", run_id, "--neurobench",
                      "--samples", "8"], capsys)
    assert code == 0 and out["neurobench_acs"] > 0 and out["neurobench_macs"] == 0
    assert out["synops_ratio"] == pytest.approx(1.0, rel=0.01)
    assert out["neurobench_acs"] == pytest.approx(out["synaptic_ops"])  # the same 8 samples
    code, err = _run(["energy", "--arch", "64-10", "--spikes", "1,0", "--neurobench"], capsys)
    assert code == 2 and "--neurobench needs --run" in err


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_fashion_mnist_and_braille_networks_run_on_their_data(tmp_path, db):
    import torch

    from core.interop.nir_run import import_nir, matching_datasets, simulate_run
    from core.training import TrainConfig
    from core.training.model import init_params
    from core.training.nir_export import write_nir

    store = RunStore(db)
    rng = np.random.default_rng(1)
    nodes = {"input": nir.Input(input_type={"input": np.array([784])}),
             "fc": nir.Linear(weight=rng.normal(size=(10, 784)).astype(np.float32)),
             "lif": lif(10), "output": nir.Output(output_type={"output": np.array([10])})}
    nir.write(tmp_path / "f.nir", nir.NIRGraph(nodes=nodes, edges=[
        ("input", "fc"), ("fc", "lif"), ("lif", "output")]))
    fashion = import_nir(tmp_path / "f.nir", store)
    assert matching_datasets(fashion["layer_sizes"]) == ["fashion-mnist", "mnist"]
    sim = simulate_run(store, fashion["run_id"], "fashion-mnist", str(SHARED / "fashion-mnist"),
                       samples=5, steps=20, download=False)
    assert sim["accuracy"] is not None and sim["spikes_per_layer"][0] > 0

    config = TrainConfig(dataset="braille", hidden=8, fan_out=3, recurrent=True)
    params = init_params("timeseries", 4, 27, config, torch.Generator().manual_seed(0))
    write_nir({k: v.detach() for k, v in params.items()}, config, 1.0, tmp_path / "b.nir")
    braille = import_nir(tmp_path / "b.nir", store)
    assert braille["layer_sizes"] == [4, 12, 8, 27] and braille["recurrent"]
    assert matching_datasets(braille["layer_sizes"]) == ["braille"]
    sim = simulate_run(store, braille["run_id"], "braille",
                       str(SHARED / "braille_letters_spiking.pkl.gz"), samples=4, steps=30,
                       download=False)
    assert sim["spikes_per_layer"][0] is None and sim["effective_macs"] > 0  # analog input
    assert sim["spikes_per_layer"][-1] is None  # the readout does not spike
    assert workload_from_run(store.get_run(braille["run_id"])).layers[0].snn_macs > 0
