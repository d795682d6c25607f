"""What a trained network does on chosen samples: rasters, membranes, readouts, confusions.

The recording re-runs the reference formulation (``core.engine.reference``) on a few samples
to keep the hidden membrane, which the fast engine does not return; the pages draw the result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch

from core.engine.reference import hidden_reference, readout_reference
from core.training.config import TrainConfig
from core.training.inputs import PreparedData, batch_input
from core.training.loop import evaluate
from core.training.model import Params, effective_weights, encoder_spikes


@dataclass(frozen=True, eq=False)
class Recording:
    """Activity of the network on ``n`` samples (arrays [T, n, units], time step ``dt_ms``)."""

    indices: list[int]
    labels: np.ndarray
    predictions: np.ndarray
    inputs: np.ndarray  # input spikes (images, SHD) or the series (time series)
    encoder: np.ndarray | None  # encoder spikes (time series only)
    hidden_spikes: np.ndarray
    hidden_mem: np.ndarray
    readout: np.ndarray
    dt_ms: float

    def spikes_per_layer(self) -> dict[str, float]:
        """Mean spikes per sample in each spiking layer."""
        n = max(len(self.indices), 1)
        layers = {"hidden": float(self.hidden_spikes.sum()) / n}
        if self.encoder is not None:
            layers = {"encoder": float(self.encoder.sum()) / n, **layers}
        elif self.inputs.size:
            layers = {"input": float(self.inputs.sum()) / n, **layers}
        return layers


@torch.no_grad()
def record(
    params: Params, data: PreparedData, config: TrainConfig, indices: list[int]
) -> Recording:
    """Run the test samples ``indices`` and keep every layer's activity."""
    if not indices or max(indices) >= len(data.y_test) or min(indices) < 0:
        raise ValueError(f"Pick samples between 0 and {len(data.y_test) - 1}.")
    params = {k: v.detach().cpu() for k, v in params.items()}
    x = batch_input(data, data.x_test[indices], config, torch.device("cpu"))
    cfg = config.with_dt(data.dt_ms)
    spikes_in, enc = x, None
    if data.kind == "timeseries":
        beta_e = math.exp(-data.dt_ms / config.encoder_tau_ms)
        enc, _ = encoder_spikes(params, x, beta_e, config.scale, config.fan_out)
        spikes_in = enc
    w = effective_weights(params, config, data.dt_ms)
    spikes, mem = hidden_reference(spikes_in, w.w1, w.v1, cfg.alpha, cfg.beta, config.scale,
                                   config.neuron)
    readout = readout_reference(spikes, w.w2, cfg.alpha, cfg.beta)
    return Recording(
        indices=list(indices),
        labels=data.y_test[indices].numpy(),
        predictions=readout.max(0).values.argmax(1).numpy(),
        inputs=x.numpy(),
        encoder=None if enc is None else enc.numpy(),
        hidden_spikes=spikes.numpy(),
        hidden_mem=mem.numpy(),
        readout=readout.numpy(),
        dt_ms=data.dt_ms,
    )


def confusion_matrix(params: Params, data: PreparedData, config: TrainConfig) -> np.ndarray:
    """Counts [true class, predicted class] over the test set."""
    pred = evaluate(params, data, config, data.x_test, data.y_test).pred
    k = data.num_classes
    out = np.zeros((k, k), dtype=np.int64)
    np.add.at(out, (data.y_test.numpy(), pred.numpy()), 1)
    return out


class HistoryCurve(NamedTuple):
    """One run's learning curves, one value per finished epoch."""

    name: str
    epochs: list[int]
    loss: list[float]
    train_accuracy: list[float]
    test_accuracy: list[float]


def history_curves(histories: dict[str, Sequence[dict[str, Any]]]) -> list[HistoryCurve]:
    """Loss and accuracies per epoch of each named run history (stored or live)."""
    return [
        HistoryCurve(
            name=name,
            epochs=[h["epoch"] for h in history],
            loss=[h["loss"] for h in history],
            train_accuracy=[h["train_accuracy"] for h in history],
            test_accuracy=[h["test_accuracy"] for h in history],
        )
        for name, history in histories.items()
    ]


class Traces(NamedTuple):
    """Named signals over time: ``values`` [time, len(names)], time in ms."""

    time: np.ndarray
    values: np.ndarray
    names: list[str]


def membrane_traces(rec: Recording, neurons: Sequence[int], sample: int = 0) -> Traces:
    """Hidden membranes of ``neurons`` on the recording's ``sample``-th sample."""
    values = rec.hidden_mem[:, sample, list(neurons)]
    time = np.arange(values.shape[0]) * rec.dt_ms
    return Traces(time, values, [f"neuron {i}" for i in neurons])


def readout_traces(rec: Recording, classes: Sequence[str], sample: int = 0) -> Traces:
    """The readout of every class on the recording's ``sample``-th sample."""
    values = rec.readout[:, sample]
    return Traces(np.arange(values.shape[0]) * rec.dt_ms, values, list(classes))


def default_neurons(rec: Recording, hidden: int, count: int = 3, sample: int = 0) -> list[int]:
    """The first ``count`` hidden neurons that fired on the sample (else the first ones)."""
    active = np.flatnonzero(rec.hidden_spikes[:, sample].sum(0))
    return [int(i) for i in (active[:count] if active.size else range(min(count, hidden)))]
