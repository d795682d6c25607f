"""Training in a background job (train, stop, fail) and the inspection of a trained network."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from core.jobs import Job
from core.progress import Progress
from core.store import RunStore
from core.training import TrainConfig, evaluate, train
from core.training.inputs import PreparedData
from core.training.inspect import confusion_matrix, record
from core.training.work import train_run


def test_a_training_job_trains_and_saves_in_a_worker(tmp_path):
    db = str(tmp_path / "runs.db")
    config = TrainConfig(hidden=8, steps=10, epochs=1, batch_size=64, max_train=128)
    job = Job(train_run, config, None, False, db, name="training")
    assert job.join(120)
    snap = job.snapshot()
    assert snap.state == "done", snap.error
    assert isinstance(snap.progress, Progress) and snap.progress.epoch == 1
    run = RunStore(db).get_run(snap.result)
    assert run.kind == "surrogate" and run.config["hidden"] == 8


def test_a_stopped_training_job_saves_its_run(tmp_path):
    db = str(tmp_path / "runs.db")
    config = TrainConfig(hidden=8, steps=10, epochs=1000, batch_size=64, max_train=128)
    job = Job(train_run, config, None, False, db)
    deadline = time.monotonic() + 120
    while not isinstance(job.snapshot().progress, Progress) and time.monotonic() < deadline:
        time.sleep(0.05)
    job.stop()
    assert job.join(120)
    snap = job.snapshot()
    assert snap.state == "stopped"
    assert RunStore(db).get_run(snap.result).metrics["stopped"] is True


def test_missing_data_fails_with_its_message(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "empty"))
    config = TrainConfig(dataset="braille", epochs=1)
    job = Job(train_run, config, None, False, str(tmp_path / "runs.db"))
    assert job.join(120)
    snap = job.snapshot()
    assert snap.state == "failed" and "download" in snap.error.lower()


@pytest.fixture(scope="module")
def trained():
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(40) % 2
    x = 0.1 * torch.rand(40, 8, generator=gen)
    x[y == 0, :4] += 0.9
    x[y == 1, 4:] += 0.9
    data = PreparedData("image", x[:24], y[:24], x[24:], y[24:], ("a", "b"), 8, 1.0)
    cfg = TrainConfig(hidden=12, steps=20, epochs=10, batch_size=8, lr=1e-2, weight_scale=1.0,
                      recurrent=True, seed=0)
    return train(cfg, data=data), data


def test_recording_matches_the_training_engine(trained):
    report, data = trained
    rec = record(report.params, data, report.config, [0, 1, 2])
    assert rec.hidden_spikes.shape == (20, 3, 12) and rec.readout.shape == (20, 3, 2)
    assert rec.hidden_mem.shape == rec.hidden_spikes.shape
    spiked = rec.hidden_spikes == 1
    assert bool((rec.hidden_mem[spiked] > 1).all())  # a spike only above threshold
    pred = evaluate(report.params, data, report.config, data.x_test, data.y_test).pred
    assert rec.predictions.tolist() == pred[:3].tolist()  # the same network as training
    assert rec.labels.tolist() == data.y_test[:3].tolist()
    layers = rec.spikes_per_layer()
    assert set(layers) == {"input", "hidden"}
    assert layers["hidden"] == pytest.approx(rec.hidden_spikes.sum() / 3)
    with pytest.raises(ValueError, match="Pick samples"):
        record(report.params, data, report.config, [99])


def test_confusion_matrix_counts_the_test_set(trained):
    report, data = trained
    cm = confusion_matrix(report.params, data, report.config)
    assert cm.shape == (2, 2) and cm.sum() == len(data.y_test)
    assert np.trace(cm) / cm.sum() == pytest.approx(report.test_accuracy)
