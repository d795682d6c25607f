"""Workloads derived from saved runs (surrogate, ReL-PSP-like, NAS) in a temporary store."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.hardware import make_model
from core.hardware.runs import describe_run, workload_from_run
from core.store import RunStore


@pytest.fixture()
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "runs.db")


def _surrogate(store: RunStore, metrics: dict, recurrent: bool = False) -> int:
    weights = {"w1": torch.zeros(64, 20), "w2": torch.zeros(20, 10)}
    if recurrent:
        weights["v1"] = torch.zeros(20, 20)
    config = {"dataset": "digits", "hidden": 20, "steps": 30, "recurrent": recurrent}
    return store.save_run("surrogate", config, metrics=metrics, weights=weights)


def test_surrogate_run_sizes_from_weights_and_recorded_spikes(store: RunStore) -> None:
    run_id = _surrogate(store, {"test_accuracy": 0.9, "spikes_per_layer": [120.0, 45.5]})
    w = workload_from_run(store.get_run(run_id))
    assert w.sizes == (64, 20, 10)
    assert w.spikes == (120.0, 45.5, 0.0)  # the readout does not spike
    assert w.time_steps == 30 and not w.recurrent
    assert make_model("yoso").estimate(w).synaptic_ops == 120 * 20 + 45.5 * 10
    rec = workload_from_run(store.get_run(_surrogate(store, {"spikes_per_layer": [1, 2, 0]},
                                                     recurrent=True)))
    assert rec.recurrent and rec.layers[1].fan_out == 30
    assert "accuracy 0.900" in describe_run(store.get_run(run_id))


def test_run_without_spike_counts_names_the_metric_it_needs(store: RunStore) -> None:
    run = store.get_run(_surrogate(store, {"spikes_per_sample": 45.0}))
    with pytest.raises(ValueError, match=r"64-20-10\) records no per-layer spike counts "
                                         r"\(metrics\['spikes_per_layer'\]"):
        workload_from_run(run)
    w = workload_from_run(run, spikes=[100, 45, 0])
    assert w.spikes == (100.0, 45.0, 0.0)
    with pytest.raises(ValueError, match="3 layers but 2 spike counts"):
        workload_from_run(run, spikes=[100, 45])


def test_linear_layout_weights_chain_into_layers(store: RunStore) -> None:
    weights = {"fc1.weight": torch.zeros(30, 64), "fc1.bias": torch.zeros(30),
               "fc2.weight": torch.zeros(10, 30)}
    run_id = store.save_run("relpsp", {"dataset": "digits"},
                            metrics={"spikes_per_layer": [40, 25, 10]}, weights=weights)
    w = workload_from_run(store.get_run(run_id))
    assert w.sizes == (64, 30, 10) and w.time_steps == 1
    bare = store.save_run("relpsp", {"dataset": "digits"})
    with pytest.raises(ValueError, match="no saved weights"):
        workload_from_run(store.get_run(bare))


def test_nas_run_gives_a_conv_workload(store: RunStore) -> None:
    config = {"dataset": "digits", "architecture": {"model": "snn", "neuron": "LIF",
              "reset": "soft", "layers": [[4, 3], [8, 3]]}, "pool_after": [0], "time_steps": 4}
    run_id = store.save_run("nas", config, metrics={"spikes_per_layer": [20.0, 10.0]})
    w = workload_from_run(store.get_run(run_id))
    assert w.sizes == (64, 256, 128, 10) and w.time_steps == 4
    assert make_model("ops").estimate(w).synaptic_ops == 20 * 72 + 10 * 10
    with pytest.raises(ValueError, match="fully connected networks; run .* is convolutional"):
        make_model("yoso").estimate(w)
    dnn = {**config, "architecture": {"model": "dnn", "layers": [[4, 3]]}}
    with pytest.raises(ValueError, match="DNN baseline"):
        workload_from_run(store.get_run(store.save_run("nas", dnn)))


def test_nas_run_is_priced_at_the_resolution_it_was_trained_on(store: RunStore) -> None:
    """A proxy search averages 28x28 images to 14x14: its neurons and MACs are those of 14x14,
    not of the data set as loaded."""
    config = {"dataset": "fashion-mnist", "input_shape": [1, 14, 14],
              "architecture": {"model": "snn", "neuron": "LIF", "reset": "soft",
                               "layers": [[8, 3], [16, 3]]}, "pool_after": [0], "time_steps": 4}
    w = workload_from_run(store.get_run(
        store.save_run("nas", config, metrics={"spikes_per_layer": [30.0, 12.0]})))
    assert w.sizes == (196, 8 * 196, 16 * 49, 10)
    hostile = {**config, "input_shape": [1, 10**9, 14]}  # not trusted: the loaded shape instead
    w = workload_from_run(store.get_run(
        store.save_run("nas", hostile, metrics={"spikes_per_layer": [30.0, 12.0]})))
    assert w.sizes == (784, 8 * 784, 16 * 196, 10)
