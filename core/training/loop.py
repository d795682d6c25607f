"""Training and evaluation of the SpyTorch network, with progress and a stop switch.

Loss per batch (SpyTorch; thesis eq. 16-17): NLL of the log-softmax of the readout's maximum
over time, plus reg * (hidden spikes in the batch) and, optionally, SpyTorch's per-neuron
quadratic term. Optimiser: Adam or Adamax. Everything random comes from one seeded
``torch.Generator``, so a run is reproducible on the same machine and device.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from core.data import load_dataset
from core.engine import spytorch_loss
from core.fit import EpochStats, Step, StopSignal, fit, pick_device
from core.progress import ProgressFn
from core.training.config import TrainConfig
from core.training.inputs import BatchEncoder, PreparedData, prepare, spike_total
from core.training.model import Params, init_params, run

EVAL_BATCH = 256


@dataclass(frozen=True, eq=False)
class TrainingReport:
    """The result of a run: what the command line prints and the pages draw."""

    config: TrainConfig
    history: list[dict[str, float]]
    train_accuracy: float
    test_accuracy: float
    spikes_per_sample: float
    seconds: float
    stopped: bool
    classes: tuple[str, ...]
    dt_ms: float
    params: Params = field(repr=False)
    run_id: int | None = None
    # Per test sample, summed over time: input (or encoder) spikes, hidden spikes. The
    # hardware page reads them; the readout does not spike.
    spikes_per_layer: tuple[float, ...] = ()

    def metrics(self) -> dict[str, float | bool | list[float] | None]:
        return {
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "spikes_per_sample": self.spikes_per_sample,
            "seconds": self.seconds,
            "stopped": self.stopped,
            "epochs_done": len(self.history),
            "dt_ms": self.dt_ms,
            "spikes_per_layer": list(self.spikes_per_layer) or None,
        }


def train(
    config: TrainConfig,
    data: PreparedData | None = None,
    data_path: str | None = None,
    progress: ProgressFn | None = None,
    stop: StopSignal | None = None,
) -> TrainingReport:
    """Train from scratch; stops early (keeping what was learnt) when ``stop`` is set."""
    start = time.perf_counter()
    if data is None:
        data = prepare(load_dataset(config.dataset, data_path), config)
    device = pick_device(config.device)
    gen = torch.Generator().manual_seed(config.seed)
    params = init_params(data.kind, data.channels, data.num_classes, config, gen)
    params = {k: v.detach().to(device).requires_grad_(True) for k, v in params.items()}
    task = _SurrogateTask(params, data, config, device)
    fitted = fit(task, len(data.y_train), config.epochs, config.batch_size, gen, stop, progress)
    history = fitted.history
    train_acc = evaluate(params, data, config, data.x_train, data.y_train, task.encode).accuracy
    test = evaluate(params, data, config, data.x_test, data.y_test, task.encode)
    if history:
        history[-1]["test_accuracy"] = test.accuracy
    return TrainingReport(
        config=config,
        history=history,
        train_accuracy=train_acc,
        test_accuracy=test.accuracy,
        spikes_per_sample=test.spikes,
        spikes_per_layer=(test.input_spikes, test.spikes),
        seconds=time.perf_counter() - start,
        stopped=fitted.stopped,
        classes=data.classes,
        dt_ms=data.dt_ms,
        params={k: v.detach().cpu() for k, v in params.items()},
    )


class _SurrogateTask:
    """The SpyTorch network, its loss and its per-epoch metrics, as ``core.fit.fit`` drives it."""

    def __init__(
        self, params: Params, data: PreparedData, config: TrainConfig, device: torch.device
    ) -> None:
        self.params, self.data, self.config, self.device = params, data, config, device
        self.encode = BatchEncoder(data, config, device)  # each image encoded once
        opt_class = torch.optim.Adamax if config.optimizer == "adamax" else torch.optim.Adam
        # every parameter learns, Braille's encoder gain and bias too (both engines pass the
        # gradient through to their input, as tutorial 5 trains it)
        self.optimizer = opt_class(list(params.values()), lr=config.lr, betas=(0.9, config.beta2))

    def start_epoch(self, epoch: int) -> None:
        pass

    def train_batch(self, indices: torch.Tensor) -> Step:
        data, config = self.data, self.config
        x = self.encode(data.x_train, indices)
        y = data.y_train[indices].to(self.device)
        output, _ = run(self.params, x, data.kind, config, data.dt_ms)
        loss = spytorch_loss(output, y, config.reg, config.reg_quadratic)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return Step(
            loss=float(loss.detach()),
            size=len(indices),
            correct=int((output.readout.detach().max(0).values.argmax(1) == y).sum()),
            spikes=float(output.counts.detach().sum()),
        )

    def end_epoch(self, stats: EpochStats) -> dict[str, float]:
        data = self.data
        test_acc = evaluate(self.params, data, self.config, data.x_test, data.y_test,
                            self.encode).accuracy
        return {
            "epoch": stats.epoch,
            "loss": stats.mean_loss,
            "train_accuracy": stats.accuracy,
            "test_accuracy": test_acc,
            "spikes_per_sample": stats.spikes_per_sample,
            "seconds": stats.seconds,
        }


class Evaluation(NamedTuple):
    """Accuracy, spikes per sample (hidden layer; the layer that drives it) and predictions."""

    accuracy: float
    spikes: float
    pred: torch.Tensor
    input_spikes: float = 0.0  # input spikes, or the encoder layer's for time series


@torch.no_grad()
def evaluate(
    params: Params, data: PreparedData, config: TrainConfig, x: torch.Tensor, y: torch.Tensor,
    encode: BatchEncoder | None = None,
) -> Evaluation:
    """Accuracy, spikes per sample and predictions on (x, y); ``encode``: the run's encoder
    (it keeps each split's encoding), else a new one."""
    device = next(iter(params.values())).device
    encode = BatchEncoder(data, config, device) if encode is None else encode
    preds, spikes, inputs = [], 0.0, 0.0
    for lo in range(0, len(y), EVAL_BATCH):
        xb = encode(x, slice(lo, lo + EVAL_BATCH))
        output, enc = run(params, xb, data.kind, config, data.dt_ms)
        preds.append(output.readout.max(0).values.argmax(1).cpu())
        spikes += float(output.counts.sum())
        inputs += spike_total(xb if enc is None else enc)
    pred = torch.cat(preds) if preds else torch.zeros(0, dtype=torch.int64)
    if len(y) == 0:
        return Evaluation(0.0, 0.0, pred)
    n = len(y)
    return Evaluation(float((pred == y).float().mean()), spikes / n, pred, inputs / n)
