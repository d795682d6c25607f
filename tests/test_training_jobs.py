"""Background jobs (progress, stop, errors) and the inspection of a trained network."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from core.training import TrainConfig, evaluate, train
from core.training.inputs import PreparedData
from core.training.inspect import confusion_matrix, record
from core.training.jobs import Job


def test_job_reports_progress_and_result():
    gate = threading.Event()

    def work(stop, report):
        report(1)
        gate.wait(5)
        report(2)
        return "done"

    job = Job(work, name="t")
    time.sleep(0.05)
    assert job.snapshot().status == "running" and job.snapshot().progress == 1
    gate.set()
    assert job.join(5)
    snap = job.snapshot()
    assert (snap.status, snap.progress, snap.result, snap.finished) == ("done", 2, "done", True)


def test_job_stops_between_steps_and_keeps_its_result():
    def work(stop, report):
        n = 0
        while not stop.is_set() and n < 10_000:
            n += 1
            report(n)
            time.sleep(0.001)
        return n

    job = Job(work)
    time.sleep(0.05)
    job.stop()
    assert job.join(5)
    snap = job.snapshot()
    assert snap.status == "stopped" and 0 < snap.result < 10_000


def test_job_errors_become_a_message():
    def work(stop, report):
        raise ValueError("no data here")

    job = Job(work)
    assert job.join(5)
    snap = job.snapshot()
    assert snap.status == "failed" and snap.error == "no data here" and snap.result is None


def test_two_jobs_are_independent():
    def work(stop, report):
        while not stop.wait(0.01):
            pass
        return "stopped"

    a, b = Job(work), Job(work)
    a.stop()
    assert a.join(5)
    assert b.snapshot().status == "running"
    b.stop()
    assert b.join(5)


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
