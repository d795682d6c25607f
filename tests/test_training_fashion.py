"""Surrogate-gradient training learns the real Fashion-MNIST (the shipped IDX files).

A small stratified subset of ``../shared/data/fashion-mnist`` (no network), trained with the
data set's defaults except a shorter run: the accuracy must be far above chance (10 %).
"""

from __future__ import annotations

import pytest
import torch

from core.data import Dataset
from core.training import default_config, train
from core.training.inputs import BatchEncoder, batch_input, prepare
from tests.support import fashion_subset


@pytest.fixture(scope="module", name="fashion_subset")
def fashion_subset_fixture() -> Dataset:
    return fashion_subset(150, 50)


def test_fashion_subset_is_learnt_far_above_chance(fashion_subset: Dataset) -> None:
    config = default_config("fashion-mnist", epochs=4, batch_size=50, lr=2e-3, seed=0)
    report = train(config, data=prepare(fashion_subset, config))
    assert len(report.history) == 4 and not report.stopped
    assert report.history[-1]["loss"] < report.history[0]["loss"]
    assert report.test_accuracy > 0.5  # chance is 0.1 on the 500 balanced test images (0.65)
    assert report.spikes_per_layer[0] > 100  # TTFS: a few hundred input spikes per image


def test_encoder_events_equal_the_dense_ttfs_input(fashion_subset: Dataset) -> None:
    config = default_config("fashion-mnist")
    data = prepare(fashion_subset, config)
    encode = BatchEncoder(data, config, torch.device("cpu"))
    rows = torch.tensor([5, 0, 17, 499, 3])
    for pick in (rows, slice(10, 30)):
        events = encode(data.x_test, pick)
        assert events.is_sparse and events.is_coalesced()
        dense = batch_input(data, data.x_test[pick], config, torch.device("cpu"))
        assert torch.equal(events.to_dense(), dense)
