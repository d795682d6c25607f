"""Surrogate-gradient training: surrogate formula, learning, regulariser, seeds, persistence."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch

from core.data import Dataset
from core.hardware import make_model
from core.hardware.runs import workload_from_run
from core.neurons.surrogate import fast_sigmoid_spike
from core.store import RunStore
from core.training import TrainConfig, default_config, evaluate, load_report, save_report, train
from core.training.defaults import DEFAULTS
from core.training.inputs import PreparedData, prepare
from core.training.model import encoder_spikes, init_params, run
from tests.support import BRAILLE


def toy_data(n: int = 64, seed: int = 0) -> PreparedData:
    """Two classes: the left or the right half of 16 pixels is bright (plus noise)."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = 0.1 * torch.rand(n, 16, generator=gen)
    x[y == 0, :8] += 0.9
    x[y == 1, 8:] += 0.9
    half = n // 2
    return PreparedData("image", x[:half], y[:half], x[half:], y[half:], ("L", "R"), 16, 1.0)


def toy_config(**kw) -> TrainConfig:
    base = dict(dataset="digits", hidden=16, steps=20, epochs=15, batch_size=8, lr=1e-2,
                weight_scale=1.0, seed=1)
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("scale", [1.0, 10.0, 100.0])
def test_surrogate_gradient_equals_its_formula(scale):
    x = torch.linspace(-2, 2, 41, dtype=torch.float64, requires_grad=True)
    out = fast_sigmoid_spike(x, scale)
    assert torch.equal(out, (x > 0).double())
    (grad,) = torch.autograd.grad(out.sum(), x)
    assert torch.allclose(grad, 1.0 / (scale * x.detach().abs() + 1.0) ** 2)


def test_two_scales_in_one_process_do_not_interfere():
    x = torch.tensor([0.5], requires_grad=True)
    g_small = torch.autograd.grad(fast_sigmoid_spike(x, 1.0).sum(), x)[0]
    g_large = torch.autograd.grad(fast_sigmoid_spike(x, 100.0).sum(), x)[0]
    g_small_again = torch.autograd.grad(fast_sigmoid_spike(x, 1.0).sum(), x)[0]
    assert torch.allclose(g_small, torch.tensor([1 / 1.5**2]))
    assert torch.allclose(g_large, torch.tensor([1 / 51.0**2]))
    assert torch.equal(g_small, g_small_again)


def test_tiny_network_learns_a_separable_task():
    report = train(toy_config(), data=toy_data())
    assert report.history[-1]["loss"] < 0.5 * report.history[0]["loss"]
    assert report.train_accuracy == 1.0
    assert report.test_accuracy >= 0.95
    assert len(report.history) == 15 and not report.stopped


def test_regulariser_lowers_spike_counts():
    free = train(toy_config(epochs=10), data=toy_data())
    taxed = train(toy_config(epochs=10, reg=1e-2), data=toy_data())
    assert taxed.spikes_per_sample < 0.5 * free.spikes_per_sample


def test_same_seed_same_run_other_seed_other_run():
    a = train(toy_config(epochs=3), data=toy_data())
    b = train(toy_config(epochs=3), data=toy_data())
    c = train(toy_config(epochs=3, seed=2), data=toy_data())
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    assert all(torch.equal(a.params[k], b.params[k]) for k in a.params)
    assert not torch.equal(a.params["w1"], c.params["w1"])


def test_engines_agree_on_loss_history():
    fast = train(toy_config(epochs=2, recurrent=True), data=toy_data())
    ref = train(toy_config(epochs=2, recurrent=True, engine="reference"), data=toy_data())
    assert np.allclose([h["loss"] for h in fast.history], [h["loss"] for h in ref.history],
                       rtol=1e-4)


def test_stop_event_ends_the_run_early():
    stop = threading.Event()
    seen = []

    def progress(p):
        seen.append(p)
        if p.epoch == 2:
            stop.set()

    report = train(toy_config(epochs=10), data=toy_data(), progress=progress, stop=stop)
    assert report.stopped
    assert len(report.history) == 1
    assert seen[0].batches == 4 and seen[0].epochs == 10


def test_runs_persist_and_reload(tmp_path):
    data = toy_data()
    report = train(toy_config(epochs=3), data=data)
    store = RunStore(tmp_path / "runs.db")
    saved = save_report(store, report, name="toy")
    again = load_report(RunStore(tmp_path / "runs.db"), saved.run_id)
    assert again.config == report.config
    assert again.history == report.history
    assert again.test_accuracy == pytest.approx(report.test_accuracy)
    acc, spikes, *_ = evaluate(again.params, data, again.config, data.x_test, data.y_test)
    assert acc == pytest.approx(report.test_accuracy)
    assert spikes == pytest.approx(report.spikes_per_sample)
    # The hardware page prices the run from its weights and recorded spikes (input, hidden).
    assert again.spikes_per_layer == pytest.approx(report.spikes_per_layer)
    assert report.spikes_per_layer[1] == pytest.approx(report.spikes_per_sample)
    workload = workload_from_run(store.get_run(saved.run_id))
    assert workload.sizes == (16, 16, 2) and workload.time_steps == 20
    assert workload.spikes == pytest.approx((*report.spikes_per_layer, 0.0))
    assert make_model("ops").estimate(workload).synaptic_ops == pytest.approx(
        report.spikes_per_layer[0] * 16 + report.spikes_per_layer[1] * 2
    )
    store.save_run("relpsp", {})
    with pytest.raises(ValueError, match="not a surrogate-gradient run"):
        load_report(store, store.list_runs(kind="relpsp")[0].id)


def test_encoder_layer_spikes_and_learns_with_both_engines():
    cfg = TrainConfig(dataset="braille", hidden=8, steps=30, fan_out=4, epochs=1, batch_size=8,
                      recurrent=True, weight_scale=4.0, rec_weight_scale=0.5,
                      tau_mem_ms=20.0, tau_syn_ms=10.0, lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    x = 3 * torch.randn(24, 30, 3, generator=gen)
    y = torch.arange(24) % 3
    data = PreparedData("timeseries", x[:16], y[:16], x[16:], y[16:], ("a", "b", "c"), 3, 1.0)
    params = init_params("timeseries", 3, 3, cfg, torch.Generator().manual_seed(0))
    spikes, mems = encoder_spikes(params, x[:4].transpose(0, 1), 0.95, 100.0, 4)
    assert spikes.shape == (30, 4, 12) and 0 < spikes.mean() < 1
    assert bool(((spikes == 1) <= (mems > 1)).all())  # a spike only above threshold
    fast = train(cfg, data=data)
    ref = train(TrainConfig(**{**cfg.to_dict(), "engine": "reference"}), data=data)
    init = init_params("timeseries", 3, 3, cfg, torch.Generator().manual_seed(cfg.seed))
    for name in ("enc_gain", "enc_bias"):  # the encoder learns, the same way in both engines
        assert not torch.equal(fast.params[name], init[name])
        torch.testing.assert_close(fast.params[name], ref.params[name], rtol=1e-3, atol=1e-4)


def test_defaults_are_valid_and_unknown_names_refused():
    for name in DEFAULTS:
        cfg = default_config(name)
        assert cfg.dataset == name and cfg.epochs >= 1
    assert default_config("digits", hidden=7, lr=None).hidden == 7
    with pytest.raises(ValueError, match="No training defaults"):
        default_config("cifar10")


@pytest.mark.parametrize(
    ("change", "message"),
    [({"hidden": 0}, "hidden"), ({"lr": -1.0}, "lr"), ({"optimizer": "sgd"}, "optimizer"),
     ({"engine": "gpu"}, "engine"), ({"reg": float("nan")}, "reg"),
     ({"ttfs_thr": 1.5}, "ttfs_thr")],
)
def test_config_refuses_bad_values(change, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**change)


def test_prepare_rebins_spikes_and_resamples_series_keeping_duration():
    counts = np.zeros((2, 10, 3), dtype=np.uint8)
    counts[0, 0, 0] = 1
    counts[0, 1, 0] = 2
    counts[1, 9, 2] = 1
    ds = Dataset("shd", "spikes", counts, np.array([0, 1]), counts, np.array([0, 1]),
                 ("a", "b"), "test")
    data = prepare(ds, TrainConfig(steps=5, dt_ms=1.0))
    assert data.x_train.shape == (2, 5, 3) and data.dt_ms == 2.0
    assert data.x_train[0, 0, 0] == 3 and data.x_train[1, 4, 2] == 1
    series = np.arange(20, dtype=np.float32).reshape(1, 20, 1)
    ts = Dataset("braille", "timeseries", series, np.array([0]), series, np.array([0]),
                 ("a",), "test")
    data = prepare(ts, TrainConfig(steps=10, dt_ms=1.0))
    assert data.dt_ms == 2.0
    assert data.x_train[0, :, 0].tolist() == list(range(0, 20, 2))


def test_image_inputs_are_ttfs_spikes():
    data = toy_data(8)
    cfg = toy_config()
    from core.training.inputs import batch_input

    spikes = batch_input(data, data.x_train, cfg, torch.device("cpu"))
    assert spikes.shape == (20, 4, 16)
    assert spikes.sum(0).max() == 1  # at most one spike per input
    t_first = spikes[:, 0, 0].nonzero().item()  # bright pixel: T = tau ln(x / (x - thr))
    x = float(data.x_train[0, 0])
    assert t_first == math.floor(20.0 * math.log(x / (x - 0.2)))


def test_real_braille_file_trains_a_few_steps():
    cfg = default_config("braille", hidden=16, steps=40, epochs=1, max_train=64, max_test=32,
                         batch_size=32)
    report = train(cfg, data_path=str(BRAILLE))
    assert report.history and 0 <= report.test_accuracy <= 1
    assert report.dt_ms == pytest.approx(152 / 40)
    output, enc = run(report.params, torch.zeros(40, 2, 4), "timeseries", cfg, report.dt_ms)
    assert output.readout.shape == (40, 2, 27) and enc.shape == (40, 2, 128)
