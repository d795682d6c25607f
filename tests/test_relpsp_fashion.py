"""ReL-PSP / STDBP learns the real Fashion-MNIST (the shipped IDX files).

A small stratified subset of ``../shared/data/fashion-mnist`` (no network) trains a 784-128-10
network (its layers the compiled kernels of ``core.relpsp.kernels``) for a few short epochs: the
test accuracy must be far above chance (10 %).
"""

from __future__ import annotations

import pytest
import torch

from core.data import Dataset
from core.relpsp.config import RelpspConfig
from core.relpsp.train import prepare, train
from tests.support import fashion_subset


@pytest.fixture(scope="module", name="fashion_subset")
def fashion_subset_fixture() -> Dataset:
    return fashion_subset(150, 50)


@pytest.fixture(autouse=True)
def one_thread():
    """One thread: small tensors, and no stalls of idle worker threads on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_fashion_subset_is_learnt_far_above_chance(fashion_subset: Dataset) -> None:
    config = RelpspConfig(dataset="fashion-mnist", hidden=(128,), epochs=3, eval_size=128)
    data = prepare(fashion_subset, config)
    report = train(config, data)
    assert len(report.history) == 3 and not report.stopped
    assert report.history[-1]["loss"] < report.history[0]["loss"]
    assert report.test_accuracy > 0.6  # chance is 0.1 on the 500 balanced test images (0.81)
    assert report.dead_neuron_ratio < 0.5  # most hidden neurons fire on some image
    assert 300 < report.spikes_per_layer[0] < 784  # latency code: every non-zero pixel spikes
