"""Train a ReL-PSP (or alpha-PSP) network with STDBP, measuring every layer each epoch.

Adam (fused) on all weights, the learning rate annealed to zero over the epochs by a cosine;
mini-batches drawn by one seeded ``torch.Generator``. A batch whose loss is not finite is
skipped (and counted). Each epoch ends with the accuracies and, on a fixed evaluation batch of
training samples, the per-layer measurements of ``core.relpsp.metrics``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.data import load_dataset
from core.data.base import Dataset
from core.fit import EpochStats, PreparedData, Step, StopSignal, fit
from core.free_memory import check_memory
from core.progress import Progress
from core.relpsp.augment import shift_images
from core.relpsp.config import REFERENCE_FAN_IN, RelpspConfig
from core.relpsp.kernels import own_threads
from core.relpsp.metrics import GRAD_EDGES, GradStats, dead_ratio, layer_report, time_histograms
from core.relpsp.network import (
    Params,
    encode,
    forward,
    init_params,
    layer_names,
    layer_plan,
    loss_fn,
    predict,
)

SAMPLES_KEPT = 200  # test samples whose output times a report keeps for the page
EVAL_BYTES = 256 * 2**20  # memory of one evaluation chunk


def prepare(dataset: Dataset, config: RelpspConfig) -> PreparedData:
    """Encode a data set's samples as spike times, x [N, inputs] (``inf`` = no spike), labels
    int64 (``max_train`` limits the training set)."""
    x_train, y_train = dataset.x_train, dataset.y_train
    if config.max_train is not None:
        x_train, y_train = x_train[: config.max_train], y_train[: config.max_train]
    side = None
    if dataset.kind == "image" and dataset.x_train.shape[-1] == dataset.x_train.shape[-2]:
        side = int(dataset.x_train.shape[-1])
    inputs = int(np.prod(dataset.x_train.shape[1:]))
    check_memory(_needed_bytes(config, inputs, len(dataset.classes), side),
                 f"layers {inputs:,}-{'-'.join(f'{h:,}' for h in config.hidden)}-"
                 f"{len(dataset.classes)}, batch {config.batch_size:,}",
                 "lower the hidden sizes or the batch size")
    x_train = encode(x_train, dataset.kind, config)
    return PreparedData(
        kind=dataset.kind,
        x_train=x_train,
        y_train=torch.as_tensor(np.asarray(y_train), dtype=torch.int64),
        x_test=encode(dataset.x_test, dataset.kind, config),
        y_test=torch.as_tensor(np.asarray(dataset.y_test), dtype=torch.int64),
        classes=tuple(dataset.classes),
        channels=int(x_train.shape[1]),
        side=side,
    )


def _sample_bytes(fan_in: int, fan_out: int, rows: int = 1, dense: bool = False) -> int:
    """Peak bytes of one sample in one layer, high side. ReL-PSP (``core.relpsp.kernels``):
    the sorted input times and indices and the input gradient (24 bytes per input), the output
    times and their gradient and causal sets (32 per output). ``dense``: alpha-PSP, whose
    layer holds [fan-in, fan-out] tensors (40 bytes per synapse). ``rows``: neurons sharing
    the weights per sample (a convolution's pixels)."""
    if dense:
        return rows * 40 * fan_in * fan_out
    return rows * (24 * fan_in + 32 * fan_out)


def _needed_bytes(config: RelpspConfig, inputs: int, classes: int, side: int | None) -> int:
    """Peak bytes of a run, high side: the weights with Adam's moments, a training batch (each
    layer's tensors kept for the backward pass) or the evaluation batch, and an evaluation
    chunk."""
    shapes = _planned_shapes(config, inputs, classes, side)
    synapses = sum(a * b for _, a, b in shapes)
    dense = config.psp == "alpha"
    per_sample = [_sample_bytes(a, b, rows, dense) for rows, a, b in shapes]
    batch = max(2 * config.batch_size * sum(per_sample), config.eval_size * max(per_sample))
    return 16 * synapses + batch + EVAL_BYTES


def _planned_shapes(
    config: RelpspConfig, inputs: int, classes: int, side: int | None
) -> list[tuple[int, int, int]]:
    """(rows, fan-in with the bias spike, fan-out) of every layer (``layer_plan``; a conv
    layer: one row per output pixel)."""
    extra = 1 if config.bias_spike else 0
    return [(rows, fan_in + extra, fan_out)
            for _, rows, fan_in, fan_out in layer_plan(config, inputs, classes, side)]


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
    train_scored: int  # training images behind train_accuracy: all, or a stopped run's sample
    samples: dict[str, list]  # output times and labels of the first test samples
    params: Params = field(repr=False)
    run_id: int | None = None
    # For the hardware page: neurons per layer (input first) and, per sample of the evaluation
    # batch, the neurons that fired in each layer (input first; each fires at most once).
    layer_sizes: tuple[int, ...] = ()
    spikes_per_layer: tuple[float, ...] = ()
    # The same counts averaged over the whole test set (the YOSO calibration's measured spikes).
    test_spikes_per_layer: tuple[float, ...] = ()

    def metrics(self) -> dict[str, Any]:
        return {
            "train_accuracy": self.train_accuracy,
            "train_scored": self.train_scored,
            "test_accuracy": self.test_accuracy,
            "dead_neuron_ratio": self.dead_neuron_ratio,
            "mean_output_spike_time": self.mean_output_spike_time,
            "mean_decision_time": self.mean_decision_time,
            "seconds": self.seconds,
            "stopped": self.stopped,
            "epochs_done": len(self.history),
            "layer_sizes": list(self.layer_sizes) or None,
            "spikes_per_layer": list(self.spikes_per_layer) or None,
            "test_spikes_per_layer": list(self.test_spikes_per_layer) or None,
        }


def _chunk(params: Params, inputs: int, config: RelpspConfig) -> int:
    """Samples per evaluation chunk: as many as fit in ``EVAL_BYTES`` (at most 512)."""
    side = math.isqrt(inputs) if config.arch == "conv" else None
    shapes = _planned_shapes(config, inputs, int(params["out"].shape[1]), side)
    per_sample = max(_sample_bytes(a, b, rows, config.psp == "alpha") for rows, a, b in shapes)
    return int(min(512, max(1, EVAL_BYTES // per_sample)))


@torch.no_grad()
def output_times(params: Params, x: torch.Tensor, config: RelpspConfig) -> torch.Tensor:
    """Output spike times [N, classes] of the inputs ``x``, in chunks."""
    return _pass(params, x, config)[0]


@torch.no_grad()
def _pass(params: Params, x: torch.Tensor,
          config: RelpspConfig) -> tuple[torch.Tensor, tuple[float, ...]]:
    """Output times [N, classes] of the inputs ``x`` (in chunks), and the mean number of
    neurons that fire per sample in each layer, input first (each fires at most once)."""
    step = _chunk(params, int(x.shape[1]), config)
    outs, counts = [], None
    for i in range(0, len(x), step):
        fwd = forward(params, x[i : i + step], config)
        outs.append(fwd.output)
        fired = [float(torch.isfinite(t).sum()) for t in fwd.inputs[:1] + fwd.layers]
        counts = fired if counts is None else [a + b for a, b in zip(counts, fired, strict=True)]
    if not outs:
        return torch.zeros(0, params["out"].shape[1]), ()
    return torch.cat(outs), tuple(c / len(x) for c in counts or ())


def accuracy(t_out: torch.Tensor, y: torch.Tensor) -> float:
    return float((predict(t_out) == y).float().mean()) if len(y) else 0.0


def train(
    config: RelpspConfig,
    data: PreparedData | None = None,
    progress: Callable[[Progress | str], None] | None = None,
    stop: StopSignal | None = None,
) -> RelpspReport:
    """Train from scratch; stops early (keeping what was learnt) when ``stop`` is set.

    ``progress`` gets each batch's ``Progress``, then a message for each final pass (on
    60,000 images they take a minute). A stopped run scores the training set on its
    evaluation sample only, so it ends soon after its Stop."""
    start = time.perf_counter()
    if data is None:
        dataset = load_dataset(config.dataset, config.data_path, download=True)
        data = prepare(dataset, config)
    gen = torch.Generator().manual_seed(config.seed)
    params = init_params(config, data.channels, data.num_classes, data.side, gen)
    for w in params.values():
        w.requires_grad_(True)
    eval_idx = torch.randperm(len(data.y_train), generator=gen)[: config.eval_size]
    task = _StdbpTask(params, data, config, eval_idx)
    # ReL-PSP: the threads go to the compiled layers; alpha-PSP's dense layers are PyTorch's
    with own_threads() if config.psp == "relpsp" else nullcontext():
        fitted = fit(task, len(data.y_train), config.epochs, config.batch_size, gen, stop,
                     progress)
        return _report(config, data, params, fitted.history, eval_idx, fitted.stopped, start,
                       progress)


def param_groups(params: Params, config: RelpspConfig) -> list[Any]:
    """Adam's parameters: all in one group (``lr_scaling`` "none"), or one group per layer
    whose learning rate is lr * ``REFERENCE_FAN_IN`` / its weight rows ("fan-in")."""
    if config.lr_scaling == "none":
        return list(params.values())
    return [{"params": [w], "lr": config.lr * REFERENCE_FAN_IN / max(1, w.shape[0])}
            for w in params.values()]


def _base_lr(optimizer: torch.optim.Optimizer, config: RelpspConfig) -> float:
    """The schedule's current learning rate for a layer of ``REFERENCE_FAN_IN`` inputs (the
    first group's own, scaled back when the layers have rates of their own)."""
    group = optimizer.param_groups[0]
    if config.lr_scaling == "none":
        return group["lr"]
    return config.lr * group["lr"] / group["initial_lr"]


class _StdbpTask:
    """The ReL-PSP network, its STDBP loss and its per-layer measurements, for ``fit``."""

    def __init__(
        self, params: Params, data: PreparedData, config: RelpspConfig, eval_idx: torch.Tensor
    ) -> None:
        self.params, self.data, self.config, self.eval_idx = params, data, config, eval_idx
        # fused: one compiled pass over each tensor (0.6 against 2.3 ms a step on 784-800-10)
        self.optimizer = torch.optim.Adam(param_groups(params, config), lr=config.lr,
                                          amsgrad=config.amsgrad, fused=True)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
            self.optimizer, T_max=config.epochs
        )
        self.grads: dict[str, GradStats] = {}
        # its own stream (shifts, dropped spikes), so a run without --augment or --dropout
        # draws the same batches as before they existed
        self.augment_rng = torch.Generator().manual_seed(config.seed + 1)
        self.clipped = 0  # batches of this epoch whose gradient ``clip_grad`` scaled down

    def start_epoch(self, epoch: int) -> None:
        self.grads = {name: GradStats() for name in self.params}
        self.clipped = 0

    def train_batch(self, indices: torch.Tensor) -> Step:
        """One Adam step; a batch whose loss is not finite is counted but not learnt from."""
        params, config = self.params, self.config
        y = self.data.y_train[indices]
        x = shift_images(self.data.x_train[indices], config.augment, self.augment_rng)
        fwd = forward(params, x, config, self.augment_rng)  # draws only with --dropout
        loss = loss_fn(fwd.output, fwd.inputs[-1], fwd.w_out, y, config)
        correct = int((predict(fwd.output.detach()) == y).sum())
        if not torch.isfinite(loss):
            return Step(loss=None, size=len(indices), correct=correct)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        for name, w in params.items():
            self.grads[name].add(w.grad if w.grad is not None else torch.zeros_like(w))
        if config.clip_grad > 0:  # the statistics above are STDBP's own gradients, unclipped
            norm = torch.nn.utils.clip_grad_norm_(list(params.values()), config.clip_grad)
            self.clipped += int(norm > config.clip_grad)
        self.optimizer.step()
        return Step(loss=float(loss.detach()), size=len(indices), correct=correct)

    def end_epoch(self, stats: EpochStats) -> dict[str, Any]:
        """The epoch's losses and accuracy, then the measurements; the learning rate anneals."""
        record = {
            "epoch": stats.epoch,
            "loss": stats.mean_loss,
            "train_accuracy": stats.accuracy,
            "lr": _base_lr(self.optimizer, self.config),
            "skipped_batches": stats.skipped,
            "clipped_batches": self.clipped,
            "seconds": stats.seconds,
        }
        record.update(_measure(self.params, self.data, self.config, self.eval_idx, self.grads))
        self.schedule.step()
        return record


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
    progress: Callable[[str], None] | None = None,
) -> RelpspReport:
    """Final accuracies and measurements of the trained (or stopped) network."""
    detached = {k: v.detach() for k, v in params.items()}
    y_train = data.y_train[eval_idx] if stopped else data.y_train  # stopped: its eval sample
    if progress is not None:
        progress(f"final pass: accuracy on {len(y_train):,} training images")
    with torch.no_grad():
        fwd = forward(detached, data.x_train[eval_idx], config)
    t_train = fwd.output if stopped else output_times(detached, data.x_train, config)
    if progress is not None:
        progress(f"final pass: accuracy on the {len(data.y_test):,} test images")
    t_test, test_counts = _pass(detached, data.x_test, config)
    hidden = fwd.layers[:-1] or fwd.layers
    fired = t_test[torch.isfinite(t_test)]
    first = t_test.min(dim=1).values
    first = first[torch.isfinite(first)]
    keep = min(SAMPLES_KEPT, len(data.y_test))
    return RelpspReport(
        config=config,
        history=history,
        train_accuracy=accuracy(t_train, y_train),
        train_scored=len(y_train),
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
        test_spikes_per_layer=test_counts,
    )
