"""The deep C-SNN's training settings: Adam's learning rate per layer scaled by fan-in, the
``csnn`` preset, and the preset learning a real MNIST subset with every output firing (so a
silent output's stand-in time, 3 * t_max, never enters its loss)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from core.cli import main
from core.data import Dataset, load_dataset
from core.relpsp.config import CSNN, REFERENCE_FAN_IN, RelpspConfig, default_config
from core.relpsp.network import init_params
from core.relpsp.train import _base_lr, _StdbpTask, param_groups, prepare, train
from tests.support import MNIST, single_thread


@pytest.fixture(autouse=True)
def one_thread():
    """Small layers: one thread avoids the stalls of idle worker threads on a busy machine."""
    yield from single_thread()


def test_layer_learning_rates_scale_with_fan_in() -> None:
    config = default_config("mnist", arch="csnn")
    params = init_params(config, 784, 10, 28, torch.Generator().manual_seed(0))
    groups = param_groups(params, config)
    rows = [w.shape[0] for w in params.values()]
    assert rows == [25, 400, 512, 800, 128]
    assert [g["lr"] for g in groups] == pytest.approx(
        [config.lr * REFERENCE_FAN_IN / n for n in rows])
    flat = RelpspConfig(dataset="mnist", hidden=(16,))
    fc_params = init_params(flat, 784, 10, 28, torch.Generator().manual_seed(0))
    assert param_groups(fc_params, flat) == list(fc_params.values())  # one group, as before


def test_csnn_preset_is_the_papers_network_and_flags_override_it() -> None:
    config = default_config("mnist", arch="csnn")
    assert (config.arch, config.conv, config.pool, config.hidden) == (
        "conv", "16c5,32c5", 2, (800, 128))
    assert (config.bias_spike, config.lr_scaling) == (False, "fan-in")
    assert (config.batch_size, config.lr, config.epochs) == (
        CSNN["batch_size"], CSNN["lr"], CSNN["epochs"])
    mine = default_config("fashion-mnist", arch="csnn", hidden=(64,), epochs=2, lr=None)
    assert (mine.hidden, mine.epochs, mine.lr, mine.conv) == ((64,), 2, CSNN["lr"], "16c5,32c5")
    assert default_config("mnist").arch == "fc"  # the data set's own default is unchanged
    with pytest.raises(ValueError, match="lr_scaling"):
        RelpspConfig(lr_scaling="layer")


def test_the_base_learning_rate_is_recorded_with_scaled_layers() -> None:
    config = default_config("mnist", arch="csnn", hidden=(8,), epochs=4)
    params = init_params(config, 784, 10, 28, torch.Generator().manual_seed(0))
    task = _StdbpTask(params, None, config, torch.arange(2))  # type: ignore[arg-type]
    task.optimizer.step()  # no gradients: nothing moves
    task.schedule.step()
    first = task.optimizer.param_groups[0]["lr"]
    assert first == pytest.approx(task.schedule.get_last_lr()[0])
    assert _base_lr(task.optimizer, config) == pytest.approx(
        config.lr * 0.5 * (1 + math.cos(math.pi / 4)))


def _stratified(x: np.ndarray, y: np.ndarray, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    index = np.stack([np.flatnonzero(y == c)[:per_class] for c in range(10)], axis=1)
    return x[index.reshape(-1)], y[index.reshape(-1)]


def test_the_csnn_preset_learns_an_mnist_subset() -> None:
    full = load_dataset("mnist", str(MNIST), download=False)
    x_tr, y_tr = _stratified(full.x_train, full.y_train, 100)
    x_te, y_te = _stratified(full.x_test, full.y_test, 30)
    subset = Dataset(full.name, full.kind, x_tr, y_tr, x_te, y_te, full.classes, full.source)
    # 32 steps: a faster rate than the preset's, made for 10 epochs of 60,000 images
    config = default_config("mnist", arch="csnn", hidden=(128,), epochs=2, eval_size=64, lr=3e-4)
    report = train(config, prepare(subset, config))
    assert list(report.history[0]["layers"]) == ["conv0", "conv1", "fc0", "out"]
    assert report.history[-1]["loss"] < report.history[0]["loss"]
    assert report.test_accuracy > 0.6  # chance: 0.1 on the 300 balanced test images
    assert report.history[-1]["lr"] == pytest.approx(config.lr * 0.5)  # the base, annealed
    # every output fires on every test image, long after 3 * t_max (silent: 15)
    times = torch.tensor(report.samples["output_times"])
    assert torch.isfinite(times).all() and times.min() > 3 * config.t_max


def test_cli_arch_csnn_explains_a_data_set_too_small(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["relpsp", "train", "--dataset", "digits", "--arch", "csnn", "--json"])
    err = capsys.readouterr().err
    assert code == 2 and "leaves no pixel" in err and "Traceback" not in err
    code = main(["relpsp", "train", "--dataset", "digits", "--lr-scaling", "fan-in",
                 "--hidden", "8", "--epochs", "1", "--max-train", "64", "--no-save", "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and json.loads(out[-1])["test_accuracy"] is not None
