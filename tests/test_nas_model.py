"""The searched conv SNN / DNN and the trainer: shapes, neuron dynamics, gradients, learning."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

from core.data.base import Dataset
from core.nas import trainer
from core.nas.model import ConvNet, NeuronConfig
from core.nas.space import Architecture, small_space, study_space
from core.nas.trainer import TrainPreset, lr_factor, prepare_data, train_architecture
from core.neurons.simulation import run_leaky
from tests.nas_support import TINY, single_thread


@pytest.fixture(autouse=True)
def _one_thread():
    yield from single_thread()

ARCH = Architecture("snn", ((8, 3), (16, 5)), "LIF", "soft")


def _net(arch: Architecture, seed: int = 0, **neuron) -> ConvNet:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ConvNet(arch, 1, 10, (0,), NeuronConfig(**neuron))


def test_forward_shapes_and_binary_spikes():
    net = _net(ARCH)
    x = torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    logits, counts = net(x)
    assert logits.shape == (5, 10) and counts.shape == (2,)
    spikes = net._spike_train(torch.randn(4, 3, 8, 2, 2, generator=torch.Generator()))
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    assert counts.min() > 0  # a fresh net with batch norm fires in every layer


def test_neurons_match_the_reference_step():
    """The network's neuron loop is the engine's LIF/IF with the chosen reset, exactly."""
    current = torch.linspace(0.0, 2.5, 12).reshape(1, 12) * torch.ones(6, 1)
    for neuron, reset in (("IF", "hard"), ("LIF", "soft"), ("LIF", "hard")):
        net = _net(Architecture("snn", ((8, 3),), neuron, reset), lif_beta=0.7)
        got = net._spike_train(current).numpy()
        ref = run_leaky(current.numpy(), 1.0 if neuron == "IF" else 0.7, 1.0, reset)
        np.testing.assert_array_equal(got, ref.spikes)
    if_spikes = _net(Architecture("snn", ((8, 3),), "IF", "soft"))._spike_train(current)
    lif_spikes = _net(Architecture("snn", ((8, 3),), "LIF", "soft"))._spike_train(current)
    assert if_spikes.sum() > lif_spikes.sum()  # no leak: more spikes


def test_surrogate_gradient_reaches_the_first_layer():
    net = _net(ARCH)
    logits, _ = net(torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(1)))
    torch.nn.functional.cross_entropy(logits, torch.arange(4)).backward()
    assert net.convs[0].weight.grad is not None
    assert net.convs[0].weight.grad.abs().sum() > 0


def test_dnn_baseline_has_no_spikes_and_same_convs():
    dnn = _net(Architecture("dnn", ((8, 3), (16, 5))))
    logits, counts = dnn(torch.rand(3, 1, 8, 8))
    assert logits.shape == (3, 10) and counts.sum() == 0
    assert [c.weight.shape for c in dnn.convs] == [c.weight.shape for c in _net(ARCH).convs]


def test_lr_schedule_warms_up_then_decays_to_zero():
    values = [lr_factor(s, 100, 10) for s in range(100)]
    assert values[0] == pytest.approx(0.1) and values[9] == pytest.approx(1.0)
    assert values[10] == pytest.approx(1.0) and values[-1] < 0.01
    assert all(a >= b for a, b in zip(values[10:], values[11:], strict=False))


def test_study_preset_is_the_papers_recipe():
    study = trainer.PRESETS["study"]
    assert (study.dataset, study.epochs, study.lr, study.warmup_epochs) == ("cifar10", 200, 0.1, 5)
    assert study.val_fraction == 0.2 and study.neuron.time_steps == 4
    assert study.space("snn") == study_space("snn")
    assert trainer.PRESETS["small"].space("dnn") == small_space("dnn")
    with pytest.raises(ValueError, match="Warm-up"):
        replace(study, warmup_epochs=200)


def test_training_learns_digits():
    preset = replace(TINY, max_train_samples=800)
    data = prepare_data("digits", preset)
    assert data.x_train.shape[1:] == (1, 8, 8) and len(data.y_train) == 640
    arch = Architecture("snn", ((16, 3), (16, 3), (16, 3)), "LIF", "hard")
    snn = train_architecture(arch, data, preset, (0, 1), seed=3)
    assert snn.val_accuracy > 0.4  # chance is 0.1
    assert len(snn.spikes_per_layer) == 3
    assert snn.spikes_per_sample == pytest.approx(sum(snn.spikes_per_layer))
    assert snn.parameters == sum(v.numel() for k, v in snn.weights.items()
                                 if "running" not in k and "num_batches" not in k)
    dnn = train_architecture(Architecture("dnn", arch.layers), data, preset, (0, 1), seed=3)
    assert dnn.spikes_per_sample is None and dnn.val_accuracy > 0.6


def test_training_is_seeded():
    data = prepare_data("digits", TINY)
    arch = Architecture("snn", ((4, 3), (8, 3)), "IF", "soft")
    runs = [train_architecture(arch, data, TINY, (0,), seed=s) for s in (5, 5, 6)]
    assert runs[0].history == runs[1].history and runs[0].val_accuracy == runs[1].val_accuracy
    assert runs[0].spikes_per_layer == runs[1].spikes_per_layer
    assert runs[0].history != runs[2].history


def test_stop_interrupts_a_trial():
    data = prepare_data("digits", TINY)
    stop = threading.Event()
    stop.set()
    assert train_architecture(ARCH, data, TINY, (0,), stop=stop) is None


def test_a_trial_reports_its_batches():
    data = prepare_data("digits", TINY)
    seen = []
    out = train_architecture(ARCH, data, TINY, (0,), progress=seen.append)
    batches = -(-len(data.y_train) // TINY.batch_size)
    assert [(p.epoch, p.batch) for p in seen] == [(1, b) for b in range(1, batches + 1)]
    assert seen[-1].batches == batches and out.history[0]["epoch"] == 1


def test_colour_images_keep_their_channels(monkeypatch):
    """The CIFAR-10 path: [N, 3, 32, 32] images go through the same split and network."""
    rng = np.random.default_rng(0)
    fake = Dataset("cifar10", "image", rng.random((60, 3, 32, 32), dtype=np.float32),
                   np.repeat(np.arange(10), 6), rng.random((10, 3, 32, 32), dtype=np.float32),
                   np.arange(10), tuple("abcdefghij"), "test")
    monkeypatch.setattr(trainer, "load_dataset", lambda *a, **k: fake)
    preset = TrainPreset("small", "cifar10", epochs=1, batch_size=16, lr=0.01, warmup_epochs=0)
    data = prepare_data("cifar10", preset)
    assert data.channels == 3 and len(data.y_train) == 48 and len(data.y_test) == 12
    out = train_architecture(ARCH, data, preset, (0, 1))
    assert 0.0 <= out.val_accuracy <= 1.0 and out.weights["convs.0.weight"].shape[1] == 3
