"""The fashion preset on the real Fashion-MNIST files (../shared/data/fashion-mnist): the data
it prepares, and a conv SNN that learns far above chance on a small stratified subset."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from core.cli import main
from core.nas import trainer
from core.nas.space import Architecture
from core.nas.trainer import PRESETS, TrainPreset, prepare_data, train_architecture
from tests.nas_support import single_thread
from tests.support import FASHION

# The preset's recipe on 1,000 images (800 train, 200 validation), in batches of 32 for 4
# epochs (100 Adam steps, as many as the preset takes in 1.5 epochs): seconds on one core.
SUBSET = replace(PRESETS["fashion"], max_train_samples=1000, batch_size=32, epochs=4)


@pytest.fixture(autouse=True)
def _one_thread():
    yield from single_thread()


@pytest.fixture(scope="module")
def subset():
    return prepare_data("fashion-mnist", SUBSET, FASHION, download=False)


def test_fashion_preset_prepares_a_stratified_14x14_subset(subset) -> None:
    assert tuple(subset.x_train.shape) == (800, 1, 14, 14) and subset.side == 14
    assert tuple(subset.x_test.shape) == (200, 1, 14, 14) and subset.channels == 1
    assert torch.bincount(subset.y_train).tolist() == [80] * 10  # stratified: 10 % per class
    assert torch.bincount(subset.y_test).tolist() == [20] * 10
    assert 0.0 <= float(subset.x_train.min()) and float(subset.x_train.max()) <= 1.0
    full = PRESETS["fashion"]
    assert full.dataset == "fashion-mnist" and full.neuron.time_steps == 4
    assert full.max_train_samples == 3000 and max(full.filters) <= 32


def test_a_conv_snn_learns_fashion_mnist_far_above_chance(subset) -> None:
    arch = Architecture("snn", ((8, 3), (16, 3), (16, 3), (16, 3)), "LIF", "soft")
    outcome = train_architecture(arch, subset, SUBSET, SUBSET.pool_after, seed=0)
    assert outcome is not None
    assert outcome.val_accuracy > 0.5  # chance is 0.1
    assert outcome.train_accuracy > 0.5
    assert outcome.spikes_per_sample and outcome.spikes_per_sample > 0


def test_input_pool_must_be_a_whole_number() -> None:
    with pytest.raises(ValueError, match="input pooling"):
        replace(PRESETS["fashion"], input_pool=0)
    with pytest.raises(ValueError, match="input pooling"):
        TrainPreset("x", "digits", 1, 8, 0.1, 0, input_pool=1.5)  # type: ignore[arg-type]


def test_nas_on_fashion_mnist_uses_the_fashion_preset(capsys, monkeypatch, tmp_path) -> None:
    tiny = replace(SUBSET, layers=2, filters=(8,), kernels=(3,), epochs=2)
    monkeypatch.setitem(trainer.PRESETS, "fashion", tiny)
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    assert main(["nas", "--algorithm", "random", "--dataset", "fashion-mnist", "--data-path",
                 str(FASHION), "--no-download", "--neuron", "LIF", "--trials", "1",
                 "--storage", str(tmp_path / "nas.db"), "--no-store", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["study"].startswith("fashion-mnist-snn-random-fashion-LIF")
    (trial,) = out["trials"]
    assert trial["layers"] == [[8, 3], [8, 3]] and trial["val_accuracy"] > 0.3
