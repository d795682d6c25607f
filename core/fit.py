"""The one epoch loop that every trainer shares (surrogate gradients, ReL-PSP, NAS trials).

A trainer supplies a task with three methods (``EpochTask``); ``fit`` does the rest: each
epoch it shuffles the training set with the run's seeded ``torch.Generator``, cuts it into
mini-batches, checks the stop signal before every batch, tallies loss, correct answers and
spikes, reports each finished batch as a ``core.progress.Progress`` and keeps the records of
the finished epochs. A run stopped part-way through an epoch drops that epoch and keeps what
was learnt; the caller measures the final metrics of the network as it stands.

Call order (as optuna's ``BaseSampler`` states its own)::

    for each epoch:  task.start_epoch(epoch)
                     task.train_batch(indices)  # once per mini-batch, shuffled indices
                     task.end_epoch(stats)      # -> the epoch's record in the history
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from core.progress import Progress, ProgressFn


class StopSignal(Protocol):
    """What a loop polls to stop early: ``threading.Event`` or ``multiprocessing.Event``."""

    def is_set(self) -> bool: ...


def stop_requested(stop: StopSignal | None) -> bool:
    """True once ``stop`` (if any) is set."""
    return stop is not None and stop.is_set()


def pick_device(name: str = "auto") -> torch.device:
    """The torch device called ``name``; ``auto`` is the GPU when there is one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but no GPU is available here.")
    return torch.device(name)


@dataclass(frozen=True, eq=False)
class PreparedData:
    """A data set as a trainer's batches index it: train and held-out tensors on the CPU.

    ``x_test`` is the held-out split, the test set or (in a search) the validation set;
    ``channels`` counts the inputs of one sample and time step before any encoder fan-out
    (the image channels for convolutional networks); ``side`` is the image side, for
    convolutional variants.
    """

    kind: str  # "image", "spikes" or "timeseries", as core.data names it
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]
    channels: int
    dt_ms: float = 1.0  # the simulation step, where the trainer simulates in steps
    side: int | None = None

    @property
    def num_classes(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class Step:
    """One trained batch: its loss (``None``: not finite, the update skipped), its size, the
    correct answers and the spikes it caused."""

    loss: float | None
    size: int
    correct: int = 0
    spikes: float = 0.0


@dataclass
class EpochStats:
    """The running tally of one epoch, handed to ``EpochTask.end_epoch``."""

    epoch: int
    started: float = field(default_factory=time.perf_counter)
    losses: list[float] = field(default_factory=list)  # finite batches only
    loss_sum: float = 0.0  # sum of loss x batch size, finite batches only
    seen: int = 0
    correct: int = 0
    spikes: float = 0.0
    skipped: int = 0

    def add(self, step: Step) -> None:
        self.seen += step.size
        self.correct += step.correct
        self.spikes += step.spikes
        if step.loss is None:
            self.skipped += 1
            return
        self.losses.append(step.loss)
        self.loss_sum += step.loss * step.size

    @property
    def mean_loss(self) -> float:
        """Mean of the batch losses (NaN when every batch was skipped)."""
        return sum(self.losses) / len(self.losses) if self.losses else float("nan")

    @property
    def sample_loss(self) -> float:
        """Mean loss per training sample (batches weighted by their size)."""
        return self.loss_sum / self.seen if self.seen else float("nan")

    @property
    def accuracy(self) -> float:
        return self.correct / self.seen if self.seen else 0.0

    @property
    def spikes_per_sample(self) -> float:
        return self.spikes / self.seen if self.seen else 0.0

    @property
    def seconds(self) -> float:
        """Seconds since the epoch started."""
        return time.perf_counter() - self.started


class EpochTask(Protocol):
    """A model, its loss and its metrics, as ``fit`` drives them."""

    def start_epoch(self, epoch: int) -> None:
        """Called before the epoch's first batch (1-based ``epoch``)."""

    def train_batch(self, indices: torch.Tensor) -> Step:
        """One optimiser step on the training samples at ``indices``."""

    def end_epoch(self, stats: EpochStats) -> dict[str, Any]:
        """The finished epoch's record (evaluation, schedulers); it joins the history."""


@dataclass(frozen=True)
class Fitted:
    """What ``fit`` ran: the finished epochs' records and whether it was stopped."""

    history: list[dict[str, Any]]
    stopped: bool


def fit(
    task: EpochTask,
    samples: int,
    epochs: int,
    batch_size: int,
    generator: torch.Generator,
    stop: StopSignal | None = None,
    progress: ProgressFn | None = None,
) -> Fitted:
    """Train ``task`` for ``epochs`` passes over ``samples`` training samples, shuffled by
    ``generator``; ends early, dropping the unfinished epoch, once ``stop`` is set."""
    history: list[dict[str, Any]] = []
    batches = max(1, math.ceil(samples / batch_size))
    for epoch in range(1, epochs + 1):
        stats = EpochStats(epoch)
        task.start_epoch(epoch)
        order = torch.randperm(samples, generator=generator)
        for b in range(batches):
            if stop_requested(stop):
                return Fitted(history, stopped=True)
            step = task.train_batch(order[b * batch_size : (b + 1) * batch_size])
            stats.add(step)
            if progress is not None and step.loss is not None:
                progress(Progress(epoch, epochs, b + 1, batches, step.loss, tuple(history)))
        history.append(task.end_epoch(stats))
    return Fitted(history, stopped=False)
