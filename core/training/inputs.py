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
from core.encoders import TTFSParams, ttfs_spikes, ttfs_times
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
    if dataset.kind == "image":  # each pixel's spike step, kept by BatchEncoder
        stored = _step_dtype(config.steps).itemsize * (len(x_tr) + len(x_te)) * channels
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
    """Spikes [T, B, N] (images, SHD) or values [T, B, C] (time series), float32, dense.

    ``BatchEncoder`` gives the same input quicker (images as spike events) for training.
    """
    x = x.to(device)
    if data.kind == "image":
        params = TTFSParams(
            tau=config.ttfs_tau_ms, thr=config.ttfs_thr, tmax=config.steps * data.dt_ms
        )
        return ttfs_spikes(x, config.steps, params, dt=data.dt_ms)
    return x.to(torch.float32).transpose(0, 1)


def ttfs_step_table(
    x: torch.Tensor, nb_steps: int, params: TTFSParams, dt: float, chunk: int = 4096
) -> torch.Tensor:
    """The spike step of every input of ``x`` [n, N] as ``ttfs_spikes`` places it, in the
    smallest integer type that holds ``nb_steps``, which marks an input that does not spike.
    Computed ``chunk`` rows at a time (the float64 times of a whole data set are large)."""
    out = torch.empty(x.shape, dtype=_step_dtype(nb_steps), device=x.device)
    for lo in range(0, len(x), chunk):
        times = ttfs_times(x[lo : lo + chunk].detach().to(torch.float64), params)
        steps = torch.floor(times / dt)
        out[lo : lo + chunk] = steps.masked_fill_((steps < 0) | (steps >= nb_steps), nb_steps)
    return out


def step_events(steps: torch.Tensor, nb_steps: int) -> torch.Tensor:
    """Input spikes [T, B, N] as a coalesced sparse COO tensor, from a step table's rows
    [B, N]. The events, found in (sample, input) order, are put in (step, sample, input)
    order by one stable sort of the step (a radix sort on small integers)."""
    flat = steps.reshape(-1)
    where = _flat_nonzero(flat < nb_steps)  # sample * N + input, ascending
    step = flat.index_select(0, where)
    order = torch.argsort(step, stable=True)
    where = where.index_select(0, order)
    inputs = steps.shape[1]
    indices = torch.stack((step.index_select(0, order).long(), where // inputs, where % inputs))
    values = torch.ones(indices.shape[1], dtype=torch.float32, device=steps.device)
    return torch.sparse_coo_tensor(indices, values, (nb_steps, *steps.shape),
                                   is_coalesced=True, check_invariants=False)


def ttfs_events(x: torch.Tensor, nb_steps: int, params: TTFSParams, dt: float) -> torch.Tensor:
    """``ttfs_spikes(x, nb_steps, params, dt)`` as a coalesced sparse COO tensor [T, B, N]."""
    return step_events(ttfs_step_table(x, nb_steps, params, dt), nb_steps)


class BatchEncoder:
    """The network input for rows of a split, as ``batch_input`` gives it, quicker for images.

    An image split's TTFS step table is computed once, on first use, and each batch becomes
    spike events from its rows: no pixel is encoded twice and no dense [T, B, N] grid is built
    (the fast engine takes the events as they are, the reference densifies them).
    """

    def __init__(self, data: PreparedData, config: TrainConfig, device: torch.device) -> None:
        self.data, self.config, self.device = data, config, device
        self._tables: list[tuple[torch.Tensor, torch.Tensor]] = []  # (split, its step table)

    def __call__(self, x: torch.Tensor, rows: torch.Tensor | slice) -> torch.Tensor:
        """Input [T, B, ...] for ``x[rows]``."""
        if self.data.kind != "image":
            return batch_input(self.data, x[rows], self.config, self.device)
        table = self._table(x)
        rows = rows if isinstance(rows, slice) else rows.to(table.device)
        batch = table[rows] if isinstance(rows, slice) else table.index_select(0, rows)
        return step_events(batch, self.config.steps)

    def _table(self, x: torch.Tensor) -> torch.Tensor:
        for split, table in self._tables:
            if split is x:
                return table
        dt = self.data.dt_ms
        params = TTFSParams(tau=self.config.ttfs_tau_ms, thr=self.config.ttfs_thr,
                            tmax=self.config.steps * dt)
        table = ttfs_step_table(x.to(self.device), self.config.steps, params, dt)
        self._tables.append((x, table))
        return table


def spike_total(x: torch.Tensor) -> float:
    """The sum of a dense or sparse spike tensor."""
    return float(x.values().sum() if x.is_sparse else x.sum())


def _flat_nonzero(mask: torch.Tensor) -> torch.Tensor:
    """Indices of the true entries of a 1-D mask; on the CPU numpy's scan (about 9x quicker
    than torch's ``nonzero`` on a batch of 200,000 pixels here)."""
    if mask.device.type == "cpu":
        return torch.from_numpy(np.flatnonzero(mask.numpy()))
    return mask.nonzero().squeeze(1)


def _step_dtype(nb_steps: int) -> torch.dtype:
    """The smallest integer type that holds the steps 0..nb_steps."""
    for dtype in (torch.uint8, torch.int16):
        if nb_steps <= torch.iinfo(dtype).max:
            return dtype
    return torch.int32


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
