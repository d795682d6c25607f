"""The shared epoch loop: batches, shuffling, tallies, progress, stopping, the device helper."""

from __future__ import annotations

import math
import multiprocessing
import threading
from typing import Any

import pytest
import torch

from core.fit import EpochStats, PreparedData, Step, fit, pick_device, stop_requested
from core.progress import Progress


class Recorder:
    """A task that learns nothing: it records the batches and answers from a script."""

    def __init__(self, losses: list[float | None] | None = None) -> None:
        self.calls: list[Any] = []
        self.losses = losses

    def start_epoch(self, epoch: int) -> None:
        self.calls.append(("start", epoch))

    def train_batch(self, indices: torch.Tensor) -> Step:
        self.calls.append(indices.clone())
        n = len([c for c in self.calls if isinstance(c, torch.Tensor)])
        loss = float(n) if self.losses is None else self.losses[(n - 1) % len(self.losses)]
        return Step(loss=loss, size=len(indices), correct=len(indices) // 2, spikes=2.0)

    def end_epoch(self, stats: EpochStats) -> dict[str, Any]:
        self.calls.append(("end", stats.epoch))
        return {"epoch": stats.epoch, "loss": stats.mean_loss, "sample_loss": stats.sample_loss,
                "accuracy": stats.accuracy, "spikes": stats.spikes_per_sample,
                "skipped": stats.skipped}


def test_each_epoch_visits_every_sample_once_in_seeded_batches():
    task = Recorder()
    fitted = fit(task, 10, epochs=2, batch_size=4, generator=torch.Generator().manual_seed(3))
    assert not fitted.stopped and [r["epoch"] for r in fitted.history] == [1, 2]
    batches = [c for c in task.calls if isinstance(c, torch.Tensor)]
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    gen = torch.Generator().manual_seed(3)  # the same draws as the loop's, epoch by epoch
    for epoch in range(2):
        assert torch.equal(torch.cat(batches[3 * epoch : 3 * epoch + 3]),
                           torch.randperm(10, generator=gen))
    assert task.calls[0] == ("start", 1) and task.calls[4] == ("end", 1)


def test_the_tally_weights_losses_and_counts_skipped_batches():
    task = Recorder(losses=[1.0, None, 4.0])  # batches of 4, 4 and 2 samples
    record = fit(task, 10, 1, 4, torch.Generator()).history[0]
    assert record["loss"] == pytest.approx(2.5)  # mean of the finite batch losses
    assert record["sample_loss"] == pytest.approx((1.0 * 4 + 4.0 * 2) / 10)
    assert record["accuracy"] == pytest.approx(5 / 10) and record["skipped"] == 1
    assert record["spikes"] == pytest.approx(6.0 / 10)
    assert math.isnan(EpochStats(1).mean_loss)


def test_progress_follows_every_learnt_batch():
    seen: list[Progress] = []
    fit(Recorder(losses=[1.0, None]), 6, 2, 2, torch.Generator(), progress=seen.append)
    assert [(p.epoch, p.batch, p.batches, p.loss) for p in seen] == [
        (1, 1, 3, 1.0), (1, 3, 3, 1.0), (2, 2, 3, 1.0)]
    assert seen[0].history == () and [r["epoch"] for r in seen[-1].history] == [1]


@pytest.mark.parametrize("make_event", [threading.Event, multiprocessing.Event])
def test_stop_drops_the_unfinished_epoch(make_event):
    stop = make_event()
    task = Recorder()

    def progress(p: Progress) -> None:
        if (p.epoch, p.batch) == (2, 1):
            stop.set()

    fitted = fit(task, 8, 5, 4, torch.Generator(), stop=stop, progress=progress)
    assert fitted.stopped and [r["epoch"] for r in fitted.history] == [1]
    assert ("end", 2) not in task.calls  # the second epoch trained one batch, then stopped
    assert sum(isinstance(c, torch.Tensor) for c in task.calls) == 3
    assert stop_requested(stop) and not stop_requested(None)


def test_prepared_data_counts_its_classes():
    x, y = torch.zeros(4, 3), torch.zeros(4, dtype=torch.int64)
    data = PreparedData("image", x, y, x, y, ("a", "b"), 3)
    assert data.num_classes == 2 and data.dt_ms == 1.0 and data.side is None


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no GPU"):
            pick_device("cuda")
