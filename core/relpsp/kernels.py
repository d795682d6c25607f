"""ReL-PSP spike times and STDBP gradients of whole layers on the CPU, compiled with Numba.

The maths is ``core.relpsp.functional``'s. Each sample's inputs are sorted by time once (a
stable radix sort on the floats' bits, ``Sorted``); the kernels then walk the sorted spiking
inputs in order, holding every output neuron's running sums in a vector, so the inner loop runs
over the neurons, whose weights are one contiguous row of W per input:

- forward: at sorted position p, S_w += W[i_p] and S_wt += W[i_p] * t_p; a neuron that has not
  fired yet fires when its candidate t = (theta + S_wt) / S_w is valid (S_w > 0 and
  t_p <= t <= t_{p+1}), the reference's rule (sums in float64, as torch.cumsum's); a cheap
  pre-test, V(t_{p+1}) >= theta less a rounding slack, picks the positions where that exact
  test is made; the walk stops when every neuron has fired. Inputs that share a time
  (latency-coded images: about 385 spiking pixels, 126 distinct times) are tested once, after
  the last of them: within a tie the rule asks for V = theta exactly at that time, which the
  full sum then also meets (the reference could differ only where V touches theta exactly and
  falls back at once). The walk also records each neuron's causal set C_j = {i : t_i < t_j}
  (its size, the first ``count_j`` positions, and its slope S_w), which the backward pass
  reuses;
- backward: one walk adds g_j (t_i - t_j) to grad_w[i, j] and g_j w_ij to grad_t_in[i] over
  the positions in C_j, with g_j = dL/dt_j / max(S_w, min_slope).

The samples of a batch are split into consecutive blocks, one per thread (PyTorch's thread
count, the CLI's ``--threads``; see ``own_threads``): the calling thread and a pool's, as the
compiled functions release the GIL. Each block has its own weight-gradient buffer, summed at
the end, so no two threads write the same number. (Numba's ``parallel=True`` loops ran these
kernels about twice as slowly on one thread, and compile for longer.)

Compiled at the first call per dtype (float32, float64), a few seconds per kernel, and cached
on disk for later processes (``core.jit``); ``compile_seconds`` reports the first calls' times.
"""


from __future__ import annotations

import math
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache, partial
from typing import NamedTuple

import numpy as np
import torch

from core.jit import jit

SMALL_ROW = 64  # rows of at most this many inputs are sorted by insertion (conv patches)
SLACK = 1e-9  # relative rounding slack of the forward's pre-test, far above float64's

_COMPILED: dict[str, float] = {}  # "kernel dtype" -> seconds its first call took


@jit()
def _causal_prefix(ts, order, k, weight, j, tj):  # pragma: no cover - JIT
    """(|C_j|, sum_{C_j} w_ij) for C_j = {p < k : ts[p] < tj}, summed in sorted order."""
    count = np.searchsorted(ts[:k], tj)
    slope = 0.0
    for p in range(count):
        slope += weight[order[p], j]
    return count, slope


@jit()
def _sample_times(ts, order, k, weight, theta, low, out, count, slope, sw, swt,
                  pending):  # pragma: no cover - JIT
    """One sample: its spike times ``out`` [n_out] (inf = silent) from its k sorted spiking
    inputs, and each neuron's causal set (size ``count``, summed weight ``slope``; 0 if silent).

    V_j(t_{p+1}) = t_{p+1} S_w - S_wt >= ``low`` (theta less a rounding slack) marks the
    positions where a neuron may cross; only there is the reference's exact test made.
    """
    n_out = weight.shape[1]
    sw[:] = 0.0
    swt[:] = 0.0
    pending[:] = 1
    count[:] = 0
    slope[:] = 0.0
    left = n_out
    for p in range(k):
        i = order[p]
        t = ts[p]
        t_next = ts[p + 1] if p + 1 < ts.shape[0] else math.inf
        if t_next == t:  # a tie: only t itself could be the crossing, tested at the last one
            for j in range(n_out):
                sw[j] += weight[i, j]
                swt[j] += weight[i, j] * t
            continue
        hit = 0
        for j in range(n_out):  # branch-free: vectorised
            w = weight[i, j]
            sw[j] += w
            swt[j] += w * t
            hit |= pending[j] & (t_next * sw[j] - swt[j] >= low)
        if not hit:
            continue
        for j in range(n_out):
            if pending[j] and sw[j] > 0:
                cand = (swt[j] + theta) / sw[j]
                if cand >= t and cand <= t_next:
                    out[j] = cand
                    pending[j] = 0
                    left -= 1
                    if t < out[j]:  # C_j: positions 0..p (t_{p+1} >= the stored time)
                        count[j], slope[j] = p + 1, sw[j]
                    else:  # fired at t_p itself: C_j ends before the inputs at t_p
                        count[j], slope[j] = _causal_prefix(ts, order, k, weight, j, out[j])
        if left == 0:
            break


@jit()
def forward_block(first, last, ts, order, counts, weight, theta, low, out, count,
                  slope):  # pragma: no cover - JIT
    """Spike times out[b] (pre-filled with inf) and causal sets of samples first <= b < last."""
    n_out = out.shape[1]
    sw = np.zeros(n_out)  # float64 sums, as torch.cumsum accumulates
    swt = np.zeros(n_out)
    pending = np.ones(n_out, dtype=np.uint8)
    for b in range(first, last):
        _sample_times(ts[b], order[b], counts[b], weight, theta, low, out[b], count[b],
                      slope[b], sw, swt, pending)


@jit()
def causal_block(first, last, ts, order, counts, weight, t_out, count,
                 slope):  # pragma: no cover - JIT
    """The causal sets of given spike times t_out[b] (samples first <= b < last): count[b, j]
    = |{p : ts[p] < t_j}| and slope[b, j] = the sum of w_ij over them (0 for silent neurons)."""
    n_out = t_out.shape[1]
    for b in range(first, last):
        reach = 0
        for j in range(n_out):
            fired = math.isfinite(t_out[b, j])
            count[b, j] = np.searchsorted(ts[b, : counts[b]], t_out[b, j]) if fired else 0
            reach = max(reach, count[b, j])
        slope[b, :] = 0.0
        for p in range(reach):  # the sums in sorted order, as the forward pass makes them
            i = order[b, p]
            for j in range(n_out):
                slope[b, j] += weight[i, j] if p < count[b, j] else 0.0


@jit(fastmath={"reassoc", "contract", "nsz"})
def _causal_walk(ts, order, weight, count, reach, t_fired, g, grad_w,
                 grad_t):  # pragma: no cover - JIT
    """grad_w[i_p, j] += g_j (t_p - t_j) and grad_t[i_p] = sum_j g_j w_ij over p < count[j]
    (reassociated sums: the reduction over j is vectorised)."""
    for p in range(reach):
        i = order[p]
        t = ts[p]
        acc = 0.0
        for j in range(g.shape[0]):
            gj = g[j] if p < count[j] else 0.0
            grad_w[i, j] += (t - t_fired[j]) * gj
            acc += weight[i, j] * gj
        grad_t[i] = acc


@jit()
def backward_block(first, last, ts, order, weight, t_out, count, slope, g_out, min_slope,
                   grad_w, grad_t):  # pragma: no cover - JIT
    """STDBP of samples first <= b < last, from their causal sets (``count``, ``slope``):
    adds to grad_w [n_in, n_out] and fills grad_t[b] (zeroed)."""
    n_out = t_out.shape[1]
    t_fired = np.zeros(n_out, dtype=t_out.dtype)
    g = np.zeros(n_out)
    for b in range(first, last):
        reach = 0
        for j in range(n_out):
            fired = count[b, j] > 0
            t_fired[j] = t_out[b, j] if fired else 0.0
            g[j] = g_out[b, j] / max(slope[b, j], min_slope) if fired else 0.0
            reach = max(reach, count[b, j])
        _causal_walk(ts[b], order[b], weight, count[b], reach, t_fired, g, grad_w, grad_t[b])


@jit()
def _sort_keys(row, bits, sign, keys, idx):  # pragma: no cover - JIT
    """Radix keys of one row's times: unsigned integers in the floats' order (-0.0 as 0.0).
    Returns the number of finite times and the largest |t| among them."""
    full = sign | (sign - np.uint64(1))
    finite, latest = 0, 0.0
    for i in range(row.shape[0]):
        u = np.uint64(bits[i]) & full
        if u == sign:  # -0.0
            u = np.uint64(0)
        keys[i] = (~u & full) if u & sign else (u | sign)
        idx[i] = i
        if math.isfinite(row[i]):
            finite += 1
            latest = max(latest, abs(row[i]))
    return finite, latest


@jit()
def sort_block(first, last, times, bits, nbytes, t_sorted, order, counts,
               latest):  # pragma: no cover - JIT
    """Rows first <= b < last of ``times`` sorted (stable: an LSD radix sort on the floats'
    bits, one byte a pass; a pass whose byte is the same for the whole row is skipped; rows of
    at most ``SMALL_ROW`` inputs, an insertion sort on the same keys)."""
    n = times.shape[1]
    sign = np.uint64(1) << np.uint64(8 * nbytes - 1)
    keys, keys2 = np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
    idx, idx2 = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    hist = np.empty(256, dtype=np.int64)
    for b in range(first, last):
        counts[b], latest[b] = _sort_keys(times[b], bits[b], sign, keys, idx)
        if n <= SMALL_ROW:  # a conv patch: an insertion sort (stable) beats 4-8 passes of 256
            for i in range(1, n):
                key, at = keys[i], idx[i]
                j = i - 1
                while j >= 0 and keys[j] > key:
                    keys[j + 1], idx[j + 1] = keys[j], idx[j]
                    j -= 1
                keys[j + 1], idx[j + 1] = key, at
            for i in range(n):
                order[b, i] = idx[i]
                t_sorted[b, i] = times[b, idx[i]]
            continue
        for shift in range(0, 8 * nbytes, 8):
            hist[:] = 0
            for i in range(n):
                hist[(keys[i] >> np.uint64(shift)) & np.uint64(255)] += 1
            if hist.max() == n:
                continue
            start = 0
            for d in range(256):
                hist[d], start = start, start + hist[d]
            for i in range(n):
                d = (keys[i] >> np.uint64(shift)) & np.uint64(255)
                keys2[hist[d]], idx2[hist[d]] = keys[i], idx[i]
                hist[d] += 1
            keys, keys2, idx, idx2 = keys2, keys, idx2, idx
        for i in range(n):
            order[b, i] = idx[i]
            t_sorted[b, i] = times[b, idx[i]]


_INT_OF = {torch.float32: np.int32, torch.float64: np.int64}


class Sorted:
    """A batch's input times sorted per sample (silent inputs, ``inf``, last), as the kernels
    take them: ``times`` and ``order`` [batch, n_in] (the input index at each position),
    ``counts`` [batch] of spiking inputs, and ``latest``, the largest finite |t|."""

    def __init__(self, t_in: torch.Tensor, dtype: torch.dtype) -> None:
        t = t_in.detach().to(dtype).contiguous().numpy()
        batch, self.n_in = t.shape
        self.times, self.order = np.empty_like(t), np.empty(t.shape, dtype=np.int64)
        self.counts, latest = np.empty(batch, dtype=np.int64), np.zeros(max(batch, 1))
        args = (t, t.view(_INT_OF[dtype]), t.itemsize, self.times, self.order, self.counts,
                latest)
        _run("sort", dtype, [partial(sort_block, a, b, *args) for a, b in _ranges(batch)])
        self.latest = float(latest.max())


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="relpsp")


_THREADS: list[int] = []  # the kernels' thread count while ``own_threads`` is open


@contextmanager
def own_threads() -> Iterator[None]:
    """While open, the kernels take PyTorch's thread count (the CLI's ``--threads``) and
    PyTorch runs on one thread: its operations between the kernels are small, and its idle
    OpenMP workers spin on the cores the kernels' threads need (784-800-10, batch 64, two
    threads: 23 ms a step this way, 35 ms with PyTorch on two threads as well)."""
    threads = torch.get_num_threads()
    _THREADS.append(threads)
    torch.set_num_threads(1)
    try:
        yield
    finally:
        _THREADS.pop()
        torch.set_num_threads(threads)


def _ranges(batch: int) -> list[tuple[int, int]]:
    """Consecutive sample ranges, one per thread (``own_threads``' count, else PyTorch's)."""
    threads = _THREADS[-1] if _THREADS else torch.get_num_threads()
    blocks = max(1, min(threads, batch))
    return [(n * batch // blocks, (n + 1) * batch // blocks) for n in range(blocks)]


def _run(name: str, dtype: torch.dtype, calls: list) -> None:
    """Run the block calls, in parallel threads when more than one (the kernels release the
    GIL). The first call per kernel and dtype compiles; its seconds are kept."""
    key = f"{name} {str(dtype).removeprefix('torch.')}"
    if key not in _COMPILED:
        start = time.perf_counter()
        calls[0]()
        _COMPILED[key] = time.perf_counter() - start
        calls = calls[1:]
    if len(calls) <= 1:
        for call in calls:
            call()
        return
    futures = [_pool(len(calls) - 1).submit(call) for call in calls[1:]]
    calls[0]()  # this thread takes the first block
    for future in futures:
        future.result()


def compile_seconds() -> dict[str, float]:
    """Seconds the first call per kernel and dtype took in this process (compiling, or loading
    the cached machine code), e.g. ``{"forward float32": 1.2}``."""
    return dict(_COMPILED)


def _scalar(value: float, dtype: torch.dtype):
    """``value`` as a NumPy scalar of ``dtype``: float32 layers keep float32 arithmetic."""
    return np.dtype(str(dtype).removeprefix("torch.")).type(value)


class Causal(NamedTuple):
    """Each neuron's causal set C_j = {i : t_i < t_j}: the first ``count`` sorted positions,
    and ``slope`` = sum_{C_j} w_ij (float64), both [batch, n_out] (0 for silent neurons)."""

    count: np.ndarray
    slope: np.ndarray


def _causal_arrays(batch: int, n_out: int) -> Causal:
    return Causal(np.zeros((batch, n_out), dtype=np.int64), np.zeros((batch, n_out)))


def spike_times(srt: Sorted, weight: torch.Tensor, theta: float) -> tuple[torch.Tensor, Causal]:
    """Exact first-spike times [batch, n_out] (``inf``: silent) of a layer's sorted inputs,
    and their causal sets (which the backward pass reuses)."""
    w = weight.detach().contiguous()
    batch = len(srt.counts)
    out = torch.full((batch, w.shape[1]), math.inf, dtype=w.dtype)
    cs = _causal_arrays(batch, w.shape[1])
    low = theta - SLACK * (theta + srt.latest * (float(w.abs().sum(dim=0).max()) if w.numel()
                                                 else 0.0))
    args = (srt.times, srt.order, srt.counts, w.numpy(), _scalar(theta, w.dtype), low,
            out.numpy(), cs.count, cs.slope)
    _run("forward", w.dtype, [partial(forward_block, a, b, *args) for a, b in _ranges(batch)])
    return out, cs


def causal_sets(srt: Sorted, weight: torch.Tensor, t_out: torch.Tensor) -> Causal:
    """The causal sets of given output times ``t_out`` [batch, n_out]."""
    w = weight.detach().contiguous()
    t_out = t_out.detach().to(w.dtype).contiguous()
    cs = _causal_arrays(*t_out.shape)
    args = (srt.times, srt.order, srt.counts, w.numpy(), t_out.numpy(), cs.count, cs.slope)
    _run("causal", w.dtype, [partial(causal_block, a, b, *args) for a, b in _ranges(len(t_out))])
    return cs


def stdbp(
    srt: Sorted, weight: torch.Tensor, t_out: torch.Tensor, grad_out: torch.Tensor,
    min_slope: float, cs: Causal | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """STDBP's (dL/dt_in [batch, n_in], dL/dW [n_in, n_out]), in the weights' dtype.

    ``cs``: the causal sets of ``t_out`` if known (the forward pass's). Each thread adds its
    samples' weight gradients into a buffer of its own; they are summed.
    """
    w = weight.detach().contiguous()
    t_out = t_out.detach().to(w.dtype).contiguous()
    cs = causal_sets(srt, w, t_out) if cs is None else cs
    ranges = _ranges(len(t_out))
    parts = torch.zeros(len(ranges), *w.shape, dtype=w.dtype)
    grad_t = torch.zeros(len(t_out), srt.n_in, dtype=w.dtype)
    args = (srt.times, srt.order, w.numpy(), t_out.numpy(), cs.count, cs.slope,
            grad_out.detach().to(w.dtype).contiguous().numpy(), _scalar(min_slope, w.dtype))
    _run("backward", w.dtype, [partial(backward_block, a, b, *args, parts[n].numpy(),
                                       grad_t.numpy()) for n, (a, b) in enumerate(ranges)])
    return grad_t, parts[0] if len(ranges) == 1 else parts.sum(dim=0)
