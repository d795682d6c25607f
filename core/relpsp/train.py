"""Train a ReL-PSP (or alpha-PSP) network with STDBP, measuring every layer each epoch.

Adam on all weights, the learning rate annealed to zero over the epochs by a cosine; mini-batches
drawn by one seeded ``torch.Generator``. A batch whose loss is not finite is skipped (and
counted). Each epoch ends with the accuracies and, on a fixed evaluation batch of training
samples, the per-layer measurements of ``core.relpsp.metrics``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.data import load_dataset
from core.data.base import Dataset
from core.progress import Progress, ProgressFn
from core.relpsp.config import RelpspConfig
from core.relpsp.metrics import GRAD_EDGES, GradStats, dead_ratio, layer_report, time_histograms
from core.relpsp.network import (
    Params,
    encode,
    forward,
    init_params,
    layer_names,
    loss_fn,
    predict,
)

SAMPLES_KEPT = 200  # test samples whose output times a report keeps for the page


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Spike-time inputs of a data set: x [N, inputs] (``inf`` = no spike), labels int64."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]
    side: int | None  # image side for the convolutional variant


def prepare(dataset: Dataset, config: RelpspConfig) -> PreparedData:
    """Encode a data set's samples as spike times (``max_train`` limits the training set)."""
    x_train, y_train = dataset.x_train, dataset.y_train
    if config.max_train is not None:
        x_train, y_train = x_train[: config.max_train], y_train[: config.max_train]
    side = None
    if dataset.kind == "image" and dataset.x_train.shape[-1] == dataset.x_train.shape[-2]:
        side = int(dataset.x_train.shape[-1])
    return PreparedData(
        name=dataset.name,
        x_train=encode(x_train, dataset.kind, config),
        y_train=torch.as_tensor(np.asarray(y_train), dtype=torch.int64),
        x_test=encode(dataset.x_test, dataset.kind, config),
        y_test=torch.as_tensor(np.asarray(dataset.y_test), dtype=torch.int64),
        classes=tuple(dataset.classes),
        side=side,
    )


@dataclass(frozen=True, eq=False)
class RelpspReport:
    """A finished (or stopped) run: what the command line prints and the page draws."""

    config: RelpspConfig
    history: list[dict[str, Any]]
    train_accuracy: float
    test_accuracy: float
    dead_neuron_ratio: float
    mean_output_spike_time: float
    mean_decision_time: float
    seconds: float
    stopped: bool
    classes: tuple[str, ...]
    samples: dict[str, list]  # output times and labels of the first test samples
    params: Params = field(repr=False)
    run_id: int | None = None
    # For the hardware page: neurons per layer (input first) and, per sample of the evaluation
    # batch, the neurons that fired in each layer (input first; each fires at most once).
    layer_sizes: tuple[int, ...] = ()
    spikes_per_layer: tuple[float, ...] = ()

    def metrics(self) -> dict[str, Any]:
        return {
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "dead_neuron_ratio": self.dead_neuron_ratio,
            "mean_output_spike_time": self.mean_output_spike_time,
            "mean_decision_time": self.mean_decision_time,
            "seconds": self.seconds,
            "stopped": self.stopped,
            "epochs_done": len(self.history),
            "layer_sizes": list(self.layer_sizes) or None,
            "spikes_per_layer": list(self.spikes_per_layer) or None,
        }


def _chunk(params: Params) -> int:
    """Samples per evaluation chunk, keeping each [batch, fan-in, fan-out] tensor near 8 M."""
    widest = max(int(w.shape[0]) * int(w.shape[1]) for w in params.values())
    return int(min(512, max(1, 8_000_000 // widest)))


@torch.no_grad()
def output_times(params: Params, x: torch.Tensor, config: RelpspConfig) -> torch.Tensor:
    """Output spike times [N, classes] of the inputs ``x``, in chunks."""
    step = _chunk(params)
    outs = [forward(params, x[i : i + step], config).output for i in range(0, len(x), step)]
    return torch.cat(outs) if outs else torch.zeros(0, params["out"].shape[1])


def accuracy(t_out: torch.Tensor, y: torch.Tensor) -> float:
    return float((predict(t_out) == y).float().mean()) if len(y) else 0.0


def train(
    config: RelpspConfig,
    data: PreparedData | None = None,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
) -> RelpspReport:
    """Train from scratch; stops early (keeping what was learnt) when ``stop`` is set."""
    start = time.perf_counter()
    if data is None:
        dataset = load_dataset(config.dataset, config.data_path, download=True)
        data = prepare(dataset, config)
    gen = torch.Generator().manual_seed(config.seed)
    n_classes = len(data.classes)
    params = init_params(config, data.x_train.shape[1], n_classes, data.side, gen)
    for w in params.values():
        w.requires_grad_(True)
    optimizer = torch.optim.Adam(list(params.values()), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    eval_idx = torch.randperm(len(data.y_train), generator=gen)[: config.eval_size]
    history: list[dict[str, Any]] = []
    stopped = False
    for epoch in range(1, config.epochs + 1):
        record = _epoch(params, optimizer, data, config, gen, epoch, history, progress, stop)
        if record is None:
            stopped = True
            break
        record.update(_measure(params, data, config, eval_idx, record.pop("grads")))
        sched.step()
        history.append(record)
    return _report(config, data, params, history, eval_idx, stopped, start)


def _epoch(
    params: Params,
    optimizer: torch.optim.Optimizer,
    data: PreparedData,
    config: RelpspConfig,
    gen: torch.Generator,
    epoch: int,
    history: list[dict[str, Any]],
    progress: ProgressFn | None,
    stop: threading.Event | None,
) -> dict[str, Any] | None:
    """One pass over the shuffled training set; ``None`` when stopped part-way."""
    t0 = time.perf_counter()
    lr = optimizer.param_groups[0]["lr"]
    order = torch.randperm(len(data.y_train), generator=gen)
    batches = max(1, math.ceil(len(order) / config.batch_size))
    grads = {name: GradStats() for name in params}
    losses, correct, skipped = [], 0, 0
    for b in range(batches):
        if stop is not None and stop.is_set():
            return None
        idx = order[b * config.batch_size : (b + 1) * config.batch_size]
        y = data.y_train[idx]
        fwd = forward(params, data.x_train[idx], config)
        loss = loss_fn(fwd.output, fwd.inputs[-1], params["out"], y, config)
        correct += int((predict(fwd.output.detach()) == y).sum())
        if not torch.isfinite(loss):
            skipped += 1
            continue
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        for name, w in params.items():
            grads[name].add(w.grad if w.grad is not None else torch.zeros_like(w))
        optimizer.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(Progress(epoch, config.epochs, b + 1, batches, losses[-1], tuple(history)))
    return {
        "epoch": epoch,
        "loss": sum(losses) / len(losses) if losses else float("nan"),
        "train_accuracy": correct / len(order),
        "lr": lr,
        "skipped_batches": skipped,
        "seconds": time.perf_counter() - t0,
        "grads": grads,
    }


@torch.no_grad()
def _measure(
    params: Params,
    data: PreparedData,
    config: RelpspConfig,
    eval_idx: torch.Tensor,
    grads: dict[str, GradStats],
) -> dict[str, Any]:
    """Test accuracy and the per-layer measurements on the evaluation batch."""
    detached = {k: v.detach() for k, v in params.items()}
    fwd = forward(detached, data.x_train[eval_idx], config)
    names = layer_names(detached)
    return {
        "test_accuracy": accuracy(output_times(detached, data.x_test, config), data.y_test),
        "layers": layer_report(names, fwd.layers, fwd.inputs, detached, grads, config),
        "time_hist": time_histograms(dict(zip(names, fwd.layers, strict=True))),
        "grad_hist": {"edges": GRAD_EDGES, "counts": {n: grads[n].hist for n in names}},
    }


def _report(
    config: RelpspConfig,
    data: PreparedData,
    params: Params,
    history: list[dict[str, Any]],
    eval_idx: torch.Tensor,
    stopped: bool,
    start: float,
) -> RelpspReport:
    """Final accuracies and measurements of the trained (or stopped) network."""
    detached = {k: v.detach() for k, v in params.items()}
    t_train = output_times(detached, data.x_train, config)
    t_test = output_times(detached, data.x_test, config)
    with torch.no_grad():
        fwd = forward(detached, data.x_train[eval_idx], config)
    hidden = fwd.layers[:-1] or fwd.layers
    fired = t_test[torch.isfinite(t_test)]
    first = t_test.min(dim=1).values
    first = first[torch.isfinite(first)]
    keep = min(SAMPLES_KEPT, len(data.y_test))
    return RelpspReport(
        config=config,
        history=history,
        train_accuracy=accuracy(t_train, data.y_train),
        test_accuracy=accuracy(t_test, data.y_test),
        dead_neuron_ratio=dead_ratio(torch.cat(hidden, dim=1)),
        mean_output_spike_time=float(fired.mean()) if fired.numel() else float("nan"),
        mean_decision_time=float(first.mean()) if first.numel() else float("nan"),
        seconds=time.perf_counter() - start,
        stopped=stopped,
        classes=data.classes,
        samples={
            "output_times": t_test[:keep].tolist(),
            "labels": data.y_test[:keep].tolist(),
        },
        params=detached,
        layer_sizes=tuple(int(t.shape[1]) for t in fwd.inputs[:1] + fwd.layers),
        spikes_per_layer=tuple(
            float(torch.isfinite(t).sum(dim=1).float().mean()) for t in fwd.inputs[:1] + fwd.layers
        ),
    )
