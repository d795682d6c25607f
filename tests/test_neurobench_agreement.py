"""SpikeLab's synaptic-operation counts against NeuroBench 2.3's own ``Benchmark``.

Feed-forward: equal (ratio 1 within 1 %). Recurrent: SpikeLab's hardware model charges every
hidden spike its recurrent fan-out, NeuroBench only the recurrent products computed inside the
window, so they differ by exactly the last step's hidden spikes times the hidden size.
"""

from __future__ import annotations

import nir
import numpy as np
import pytest
import torch

from core.data.registry import load_dataset
from core.interop.neurobench import compare, equivalent_model, run_network
from core.interop.nir_run import encode, import_nir, simulate_run
from core.interop.nir_sim import simulate
from core.store import RunStore
from core.training import TrainConfig, train
from core.training.inputs import prepare
from core.training.runs import save_report
from tests.nir_support import cuba_lif, lif

SAMPLES = 24


def _trained_digits_run(store: RunStore, recurrent: bool) -> int:
    config = TrainConfig(dataset="digits", hidden=24, steps=30, epochs=1, batch_size=32,
                         recurrent=recurrent, max_train=96, max_test=SAMPLES, weight_scale=3.0,
                         rec_weight_scale=1.0, engine="reference")
    data = prepare(load_dataset("digits"), config)
    report = save_report(store, train(config, data=data))
    return report.run_id


@pytest.fixture()
def store(tmp_path) -> RunStore:
    return RunStore(tmp_path / "runs.db")


def test_equivalent_snntorch_model_fires_spikelabs_spikes(store):
    run = store.get_run(_trained_digits_run(store, recurrent=True))
    net = run_network(run)
    x, _, _ = encode("digits", None, SAMPLES, run.config["steps"])
    ours = simulate(net, x)
    with torch.no_grad():
        theirs = equivalent_model(net)(x.transpose(0, 1))
    assert ours.layers[1].spikes.sum() > 0
    assert torch.allclose(theirs, ours.layers[-1].mem, atol=1e-4)  # the readout, from spikes


def test_feed_forward_digits_run_agrees_with_neurobench_within_one_percent(store):
    run = store.get_run(_trained_digits_run(store, recurrent=False))
    result = compare(run, samples=SAMPLES)
    assert result["neurobench_acs"] > 0 and result["neurobench_macs"] == 0
    assert result["synops_ratio"] == pytest.approx(1.0, rel=0.01)
    assert result["synaptic_ops"] == pytest.approx(result["spikelab_nir_count"])
    # NeuroBench's sparsity covers the spiking hidden layer; SpikeLab's adds the silent readout
    hidden, out = 24 * 30, 10 * 30
    fired = (1 - result["activation_sparsity"]) * hidden
    assert result["spikelab_activation_sparsity"] == pytest.approx(1 - fired / (hidden + out))


def test_recurrent_run_differs_by_the_last_steps_recurrent_operations(store):
    run = store.get_run(_trained_digits_run(store, recurrent=True))
    result = compare(run, samples=SAMPLES)
    net = run_network(run)
    x, _, _ = encode("digits", None, SAMPLES, run.config["steps"])
    last_step_spikes = float(simulate(net, x).layers[1].spikes[-1].sum()) / SAMPLES
    assert result["synaptic_ops"] - result["neurobench_acs"] == pytest.approx(
        last_step_spikes * 24, abs=1e-6)
    assert result["spikelab_nir_count"] == pytest.approx(result["neurobench_acs"])


def test_imported_nir_run_agrees_with_neurobench(store, tmp_path):
    rng = np.random.default_rng(0)
    nodes = {
        "input": nir.Input(input_type={"input": np.array([64])}),
        "fc1": nir.Affine(weight=(2.0 * rng.normal(size=(20, 64))).astype(np.float32),
                          bias=np.zeros(20, np.float32)),
        "lif1": lif(20),
        "fc2": nir.Linear(weight=(1.5 * rng.normal(size=(10, 20))).astype(np.float32)),
        "lif2": cuba_lif(10),
        "output": nir.Output(output_type={"output": np.array([10])}),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"),
             ("lif2", "output")]
    nir.write(tmp_path / "net.nir", nir.NIRGraph(nodes=nodes, edges=edges))
    run_id = import_nir(tmp_path / "net.nir", store)["run_id"]
    simulated = simulate_run(store, run_id, "digits", samples=SAMPLES, steps=30)
    assert simulated["accuracy"] is not None
    result = compare(store.get_run(run_id), samples=SAMPLES)
    assert result["neurobench_acs"] > 0
    assert result["synops_ratio"] == pytest.approx(1.0, rel=0.01)
    assert result["activation_sparsity"] == pytest.approx(
        result["spikelab_activation_sparsity"], abs=1e-9)


def test_convolutional_nir_run_agrees_with_neurobench(store, tmp_path):
    """A Conv2d's border inputs reach fewer synapses: both count each spike's real ones."""
    rng = np.random.default_rng(2)
    shape = (4, 8, 8)
    ones = np.ones(shape, np.float32)
    nodes = {
        "input": nir.Input(input_type={"input": np.array([1, 8, 8])}),
        "conv": nir.Conv2d(input_shape=(8, 8), weight=rng.normal(size=(4, 1, 3, 3)).astype(
            np.float32) * 2, stride=1, padding=1, dilation=1, groups=1,
            bias=np.zeros(4, np.float32)),
        "lif": nir.LIF(tau=ones * 1e-3, r=ones * 10, v_leak=0 * ones, v_threshold=ones,
                       v_reset=0 * ones),
        "flat": nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0),
        "fc": nir.Linear(weight=rng.normal(size=(10, 256)).astype(np.float32)),
        "out": cuba_lif(10),
        "output": nir.Output(output_type={"output": np.array([10])}),
    }
    edges = [("input", "conv"), ("conv", "lif"), ("lif", "flat"), ("flat", "fc"),
             ("fc", "out"), ("out", "output")]
    nir.write(tmp_path / "conv.nir", nir.NIRGraph(nodes=nodes, edges=edges))
    run_id = import_nir(tmp_path / "conv.nir", store)["run_id"]
    simulate_run(store, run_id, "digits", samples=SAMPLES, steps=20)
    result = compare(store.get_run(run_id), samples=SAMPLES)
    assert result["neurobench_acs"] > 0
    assert result["spikelab_nir_count"] == pytest.approx(result["neurobench_acs"])
    assert result["synops_ratio"] == pytest.approx(1.0, rel=1e-9)
