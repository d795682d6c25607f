"""The SNN Playground engine: toy data, spike codes, learning, maps and weight edits."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from core.neurons.surrogate import fast_sigmoid_spike
from core.playground.encoding import EncodingSpec, encode
from core.playground.runner import PlaygroundRunner
from core.playground.session import Playground, PlaygroundConfig
from core.playground.toydata import TOY_SETS, ToySpec, make_toy


@pytest.mark.parametrize("name", TOY_SETS)
def test_toy_data_is_deterministic_for_a_seed(name: str) -> None:
    a, b = make_toy(ToySpec(name, seed=3)), make_toy(ToySpec(name, seed=3))
    c = make_toy(ToySpec(name, seed=4))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)
    assert len(a.y_test) == 120 and len(a.y_train) == 280
    assert 0.3 < a.y_train.mean() < 0.7


def test_surrogate_gradient_is_the_fast_sigmoid() -> None:
    x = torch.linspace(-1, 1, 21, dtype=torch.float64, requires_grad=True)
    out = fast_sigmoid_spike(x, scale=7.0)
    out.backward(torch.full_like(x, 2.0))
    np.testing.assert_array_equal(out.detach().numpy(), (x > 0).double().detach().numpy())
    expected = 2.0 / (7.0 * x.detach().abs() + 1.0) ** 2
    torch.testing.assert_close(x.grad, expected)
    with pytest.raises(ValueError, match="scale"):
        fast_sigmoid_spike(x, scale=0.0)


def test_latency_code_spikes_once_early_for_large_values() -> None:
    spec = EncodingSpec("latency", steps=10)
    points = torch.tensor([[1.2, -1.2], [0.0, 0.0]])
    spikes = encode(points, spec, torch.Generator().manual_seed(0))
    assert spikes.shape == (10, 2, 4)
    assert spikes.sum(0).max() <= 1
    assert spikes[0, 0, 0] == 1 and spikes[0, 0, 3] == 1  # u = 1 channels fire at t = 0
    assert spikes[:, 1].sum() == 4  # u = 0.5 on every channel: all fire, mid-way
    assert torch.all(spikes[:, 1].argmax(0) == 4) or torch.all(spikes[:, 1].argmax(0) == 5)


def test_rate_code_follows_the_level() -> None:
    spec = EncodingSpec("rate", steps=200, max_rate=0.5)
    points = torch.tensor([[1.2, 0.0]])
    spikes = encode(points, spec, torch.Generator().manual_seed(1))
    rates = spikes.mean(0)[0]
    assert rates[0] == pytest.approx(0.5, abs=0.08) and rates[1] == 0
    assert rates[2] == pytest.approx(0.25, abs=0.08)


def test_learns_two_moons() -> None:
    pg = Playground(PlaygroundConfig())
    before = pg.evaluate()
    pg.train_steps(400)
    after = pg.evaluate()
    assert after.test_accuracy >= 0.95 > before.test_accuracy
    assert after.step == 400 and after.epoch == pytest.approx(400 * 32 / 280)


def test_same_config_same_run() -> None:
    a, b = Playground(PlaygroundConfig(seed=5)), Playground(PlaygroundConfig(seed=5))
    a.train_steps(20)
    b.train_steps(20)
    assert a.evaluate() == b.evaluate()


def test_regularizer_lowers_spikes() -> None:
    free = Playground(PlaygroundConfig())
    sparse = Playground(PlaygroundConfig(reg=1e-2))
    free.train_steps(150)
    sparse.train_steps(150)
    assert sum(sparse.evaluate().spikes_per_layer[1:]) < 0.7 * sum(
        free.evaluate().spikes_per_layer[1:]
    )


def test_maps_probe_and_energy() -> None:
    pg = Playground(PlaygroundConfig())
    maps = pg.maps(grid=12)
    assert maps.probability.shape == (12, 12) and len(maps.rates) == 2
    assert maps.rates[0].shape == (8, 12, 12) and np.all(
        (maps.rates[0] >= 0) & (maps.rates[0] <= 1)
    )
    mem, spikes = pg.probe((0.5, -0.5), layer=1, neuron=3)
    assert mem.shape == spikes.shape == (20,)
    m = pg.evaluate()
    inputs, h1, h2 = m.spikes_per_layer
    assert m.synaptic_ops == pytest.approx(inputs * 8 + h1 * 8 + h2 * 2)
    assert m.ann_energy_pj == pytest.approx((12 * 8 + 8 * 8 + 8 * 2) * 4.6)


def test_weight_edit_changes_the_network() -> None:
    pg = Playground(PlaygroundConfig())
    before = pg.maps(grid=10).rates[0][2]
    pg.set_weight(0, 0, 2, 25.0)
    assert pg.weight(0, 0, 2) == 25.0
    assert not np.array_equal(before, pg.maps(grid=10).rates[0][2])
    with pytest.raises(ValueError, match="No connection"):
        pg.set_weight(0, 99, 0, 1.0)


def test_runner_trains_in_the_background_and_pauses() -> None:
    runner = PlaygroundRunner(PlaygroundConfig(), grid=10)
    try:
        runner.play()
        assert runner.snapshot().state == "running"
        deadline = time.monotonic() + 20
        while runner.snapshot().metrics.step < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        runner.pause()
        time.sleep(0.3)
        paused_at = runner.snapshot().metrics.step
        assert paused_at >= 20 and runner.snapshot().state == "stopped"
        time.sleep(0.3)
        assert runner.snapshot().metrics.step == paused_at
        runner.single_step()
        assert runner.snapshot().metrics.step == paused_at + 1
    finally:
        runner.close()
