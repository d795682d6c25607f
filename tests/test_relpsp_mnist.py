"""ReL-PSP / STDBP on the real MNIST (``../shared/data/mnist``, no network): a stratified subset
learns far above chance in seconds, fully connected and as a small C-SNN; a run records its
spikes per layer over the test set and its dead-neuron ratio per epoch; ``relpsp train --conv``
and ``energy --calibrate [--run ID]`` keep their JSON contracts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.data import Dataset, load_dataset
from core.hardware.yoso_calibration import VALIDATION_NOTE
from core.relpsp.config import RelpspConfig, default_config
from core.relpsp.runs import save_report
from core.relpsp.train import prepare, train
from core.store import RunStore
from tests.support import MNIST, single_thread


def stratified(x: np.ndarray, y: np.ndarray, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``per_class`` samples of every class, interleaved class by class."""
    index = np.stack([np.flatnonzero(y == c)[:per_class] for c in range(10)], axis=1)
    return x[index.reshape(-1)], y[index.reshape(-1)]


@pytest.fixture(scope="module")
def mnist_subset() -> Dataset:
    full = load_dataset("mnist", str(MNIST), download=False)
    x_tr, y_tr = stratified(full.x_train, full.y_train, 150)
    x_te, y_te = stratified(full.x_test, full.y_test, 50)
    return Dataset(full.name, full.kind, x_tr, y_tr, x_te, y_te, full.classes, full.source)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread avoids the stalls of idle worker threads on a busy machine."""
    yield from single_thread()


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict | None, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    return code, json.loads(lines[-1]) if code == 0 and lines else None, captured.err


def test_mnist_defaults_are_the_papers_fully_connected_network() -> None:
    config = default_config("mnist")
    assert (config.arch, config.hidden) == ("fc", (800,))
    # Fashion-MNIST's training settings, 12 epochs (20 overfit MNIST: 0.978 against 0.981)
    assert (config.batch_size, config.lr, config.epochs) == (64, 3e-4, 12)


def test_an_mnist_subset_is_learnt_far_above_chance(mnist_subset: Dataset) -> None:
    config = RelpspConfig(dataset="mnist", hidden=(128,), epochs=3, batch_size=32,
                          eval_size=128)
    report = train(config, prepare(mnist_subset, config))
    assert report.history[-1]["loss"] < report.history[0]["loss"]
    assert report.test_accuracy > 0.75  # chance is 0.1 on the 500 balanced test images
    dead = [r["layers"]["fc0"]["dead_ratio"] for r in report.history]
    assert len(dead) == 3 and all(0 <= d < 0.5 for d in dead)
    counts = report.test_spikes_per_layer  # per image over the 500 test images, input first
    assert len(counts) == 3 and 100 < counts[0] < 250  # MNIST: about 150 lit pixels
    assert all(0 < c <= n for c, n in zip(counts, (784, 128, 10), strict=True))


def test_a_small_csnn_learns_an_mnist_subset(mnist_subset: Dataset) -> None:
    config = RelpspConfig(dataset="mnist", conv="4c5", hidden=(64,), epochs=2, batch_size=32,
                          eval_size=64, lr=3e-3)
    report = train(config, prepare(mnist_subset, config))
    assert list(report.history[0]["layers"]) == ["conv0", "fc0", "out"]
    assert report.params["conv0"].shape == (26, 4) and report.params["fc0"].shape == (577, 64)
    assert report.test_accuracy > 0.5
    assert report.layer_sizes == (784, 4 * 24 * 24, 64, 10)


def test_relpsp_train_conv_prints_the_csnn_and_dead_ratios_per_epoch(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    code, out, err = call(capsys, "relpsp", "train", "--dataset", "digits", "--conv", "4c3",
                          "--pool", "2", "--hidden", "8", "--epochs", "2", "--max-train",
                          "64", "--no-save", "--json")
    assert code == 0, err
    assert (out["arch"], out["conv"]) == ("conv", "4c3")
    assert list(out["dead_ratio_per_epoch"]) == ["conv0", "fc0", "out"]
    assert all(len(v) == 2 for v in out["dead_ratio_per_epoch"].values())
    assert len(out["test_spikes_per_layer"]) == 4
    code, _, err = call(capsys, "relpsp", "train", "--dataset", "digits", "--conv", "4c9",
                        "--json")
    assert code == 2 and "leaves no pixel" in err and "Traceback" not in err


def test_calibration_json_without_a_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "energy", "--calibrate", "--json")
    assert code == 0
    cal = out["calibration"]
    assert cal["published"]["network"] == "784-800-10" and cal["spikes"] == [784, 800, 10]
    assert cal["assumption"] == "every neuron fires once" and cal["note"] == VALIDATION_NOTE
    assert "calibration_measured" not in out


def test_calibration_json_with_a_trained_run(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    store = RunStore(db)
    measured = [150.0, 120.0, 1.5]
    mnist = store.save_run("relpsp", {"dataset": "mnist", "arch": "fc", "hidden": [800]},
                           metrics={"layer_sizes": [784, 800, 10], "test_accuracy": 0.98,
                                    "spikes_per_layer": [149.0, 118.0, 1.4],
                                    "test_spikes_per_layer": measured})
    code, out, err = call(capsys, "energy", "--calibrate", "--run", str(mnist), "--db", db,
                          "--json")
    assert code == 0, err
    assert out["calibration"]["spikes"] == [784, 800, 10]  # the all-fire published network
    got = out["calibration_measured"]
    assert (got["run"], got["network"], got["same_network_as_published"]) == (
        mnist, "784-800-10", True)
    assert got["spikes_source"] == "test set mean" and got["measured"]["spikes"] == measured
    assert got["all_fire"]["spikes"] == [784, 800, 10]
    assert (got["measured"]["model_energy_per_frame_j"]
            < got["all_fire"]["model_energy_per_frame_j"])
    assert got["all_fire"]["model_energy_per_frame_j"] == pytest.approx(
        out["calibration"]["model_energy_per_frame_j"])
    assert got["measured"]["energy_ratio"] == pytest.approx(
        got["measured"]["model_energy_per_frame_j"]
        / out["calibration"]["published"]["energy_per_frame_j"])


def test_calibration_with_a_real_run_and_a_conv_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mnist_subset: Dataset,
) -> None:
    db = str(tmp_path / "runs.db")
    config = RelpspConfig(dataset="mnist", hidden=(32,), epochs=1, eval_size=32)
    report = save_report(RunStore(db), train(config, prepare(mnist_subset, config)))
    code, out, err = call(capsys, "energy", "--calibrate", "--run", str(report.run_id),
                          "--db", db, "--json")
    assert code == 0, err
    got = out["calibration_measured"]
    assert got["network"] == "784-32-10" and not got["same_network_as_published"]
    assert got["measured"]["spikes"] == pytest.approx(list(report.test_spikes_per_layer))
    conv = RunStore(db).save_run("relpsp", {"dataset": "mnist", "arch": "conv"},
                                 metrics={"spikes_per_layer": [1, 2, 3]})
    code, _, err = call(capsys, "energy", "--calibrate", "--run", str(conv), "--db", db,
                        "--json")
    assert code == 2 and "convolutional" in err and "Traceback" not in err
