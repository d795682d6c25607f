"""From a ``Dataset`` to the network's input, one batch at a time.

- ``image``: pixels in [0, 1], flattened, become one spike each by time-to-first-spike coding
  (SpyTorch tutorial 2): T(x) = tau ln(x / (x - thr)) for x > thr, no spike otherwise.
- ``spikes`` (SHD): spike counts per bin, re-binned to ``steps`` bins when asked.
- ``timeseries`` (Braille): values fed as currents to a spiking encoder layer (tutorial 5),
  resampled to ``steps`` steps.

Re-binning or resampling keeps the recording's duration, so the simulation step becomes
dt = dt_ms * T_data / steps; images use dt = dt_ms and ``steps`` sets the window length.
"""

from __future__ import annotations

import numpy as np
import torch

from core.data.base import Dataset
from core.encoders import TTFSParams, ttfs_spikes
from core.fit import PreparedData
from core.training.config import TrainConfig
from core.training.memory import check_fits
from core.training.model import network_inputs


def prepare(dataset: Dataset, config: TrainConfig) -> PreparedData:
    """Cut, flatten, re-bin or resample the data set for ``config``.

    Refuses (``ValueError``) a configuration that cannot fit in memory before allocating.
    """
    x_tr, y_tr = _cut(dataset.x_train, dataset.y_train, config.max_train)
    x_te, y_te = _cut(dataset.x_test, dataset.y_test, config.max_test)
    channels = int(np.prod(x_tr.shape[1:])) if dataset.kind == "image" else x_tr.shape[-1]
    per_value = {"image": 0, "spikes": 1, "timeseries": 4}.get(dataset.kind, 4)  # re-binned
    stored = per_value * (len(x_tr) + len(x_te)) * config.steps * channels
    check_fits(config, network_inputs(dataset.kind, channels, config), len(dataset.classes),
               stored)
    if dataset.kind == "image":
        x_tr, x_te = x_tr.reshape(len(x_tr), -1), x_te.reshape(len(x_te), -1)
        tensors = (torch.as_tensor(x_tr, dtype=torch.float32),
                   torch.as_tensor(x_te, dtype=torch.float32))
        dt = config.dt_ms
    elif dataset.kind in ("spikes", "timeseries"):
        length = x_tr.shape[1]
        fn = _rebin if dataset.kind == "spikes" else _resample
        tensors = (torch.as_tensor(fn(x_tr, config.steps)),
                   torch.as_tensor(fn(x_te, config.steps)))
        dt = config.dt_ms * length / config.steps
    else:
        raise ValueError(f"Data of kind {dataset.kind!r} cannot be trained on.")
    return PreparedData(
        kind=dataset.kind,
        x_train=tensors[0],
        y_train=torch.as_tensor(y_tr, dtype=torch.int64),
        x_test=tensors[1],
        y_test=torch.as_tensor(y_te, dtype=torch.int64),
        classes=tuple(dataset.classes),
        channels=int(tensors[0].shape[-1]),
        dt_ms=float(dt),
    )


def batch_input(
    data: PreparedData, x: torch.Tensor, config: TrainConfig, device: torch.device
) -> torch.Tensor:
    """Spikes [T, B, N] (images, SHD) or values [T, B, C] (time series), float32."""
    x = x.to(device)
    if data.kind == "image":
        params = TTFSParams(
            tau=config.ttfs_tau_ms, thr=config.ttfs_thr, tmax=config.steps * data.dt_ms
        )
        return ttfs_spikes(x, config.steps, params, dt=data.dt_ms)
    return x.to(torch.float32).transpose(0, 1)


def _cut(x: np.ndarray, y: np.ndarray, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    if limit is None or limit >= len(x):
        return x, y
    return x[:limit], y[:limit]


def _rebin(x: np.ndarray, steps: int) -> np.ndarray:
    """Counts [N, T, C] summed into ``steps`` equal bins (uint8, clipped at 255)."""
    length = x.shape[1]
    if steps == length:
        return x
    new_bin = (np.arange(length) * steps) // length  # the new bin of each old bin
    out = np.zeros((x.shape[0], steps, x.shape[2]), dtype=np.uint8)
    for b in range(steps):
        members = np.flatnonzero(new_bin == b)
        if members.size:
            out[:, b] = np.minimum(x[:, members].sum(axis=1, dtype=np.int32), 255)
    return out


def _resample(x: np.ndarray, steps: int) -> np.ndarray:
    """Series [N, T, C] sampled at ``steps`` evenly spaced times (nearest earlier sample)."""
    length = x.shape[1]
    index = (np.arange(steps) * length) // steps
    return np.ascontiguousarray(x[:, index], dtype=np.float32)
