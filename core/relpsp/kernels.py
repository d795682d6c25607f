"""ReL-PSP spike times and STDBP gradients of whole layers on the CPU, compiled with Numba.

The maths is ``core.relpsp.functional``'s. Each sample's inputs are sorted by time once (by the
caller, with ``torch.sort``); the kernels then walk the sorted spiking inputs in order, holding
every output neuron's running sums in a vector, so the inner loop runs over the neurons, whose
weights are one contiguous row of W per input:

- forward: at sorted position p, S_w += W[i_p] and S_wt += W[i_p] * t_p; a neuron that has not
  fired yet fires when its candidate t = (theta + S_wt) / S_w is valid (S_w > 0 and
  t_p <= t <= t_{p+1}), the reference's rule (sums in float64, as torch.cumsum's); the walk
  stops when every neuron has fired. Inputs that share a time (latency-coded images: about 385
  spiking pixels, 126 distinct times) are tested once, after the last of them: within a tie
  the rule asks for V = theta exactly at that time, which the full sum then also meets (the
  reference could differ only where V touches theta exactly and falls back at once);
- backward: C_j = {i : t_i < t_j} is the first ``count_j`` sorted positions (a binary search);
  one walk sums the slopes S_w over C_j, a second adds g_j (t_i - t_j) to grad_w[i, j] and
  g_j w_ij to grad_t_in[i], with g_j = dL/dt_j / max(S_w, min_slope).

The samples of a batch are split into consecutive blocks, one per thread (PyTorch's thread
count, the CLI's ``--threads``), run from a thread pool: the compiled functions release the GIL.
Each block has its own weight-gradient buffer, summed at the end, so no two threads write the
same number. (Numba's own ``parallel=True`` loops ran these kernels about twice as slowly on
one thread, and compile for longer.)
Compiled once per process and dtype (float32 and float64), lazily at the first call; see
``compile_seconds``.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache, partial
from typing import NamedTuple

import numba
import numpy as np
import torch


def _jit(**flags):
    """``numba.njit`` releasing the GIL, its machine code cached on disk where a cache directory
    is writable (``__pycache__`` beside this file, else the user's): a later process loads it
    instead of compiling. (``cache=True`` would refuse to import where none is writable.)"""

    def wrap(fn):
        compiled = numba.njit(nogil=True, **flags)(fn)
        try:
            compiled.enable_caching()
        except RuntimeError:  # no writable cache directory: compile in each process
            pass
        return compiled

    return wrap

SLACK = 1e-9  # relative rounding slack of the forward's pre-test, far above float64's

_COMPILED: dict[str, float] = {}  # "kernel dtype" -> seconds its first call took


@_jit()
def _causal_prefix(ts, order, k, weight, j, tj):  # pragma: no cover - JIT
    """(|C_j|, sum_{C_j} w_ij) for C_j = {p < k : ts[p] < tj}, summed in sorted order."""
    count = np.searchsorted(ts[:k], tj)
    slope = 0.0
    for p in range(count):
        slope += weight[order[p], j]
    return count, slope


@_jit()
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


@_jit()
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


@_jit()
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


@_jit(fastmath={"reassoc", "contract", "nsz"})
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


@_jit()
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


class Sorted:
    """A batch's input times sorted per sample, as the kernels take them."""

    def __init__(self, t_in: torch.Tensor, dtype: torch.dtype) -> None:
        t_sorted, order = torch.sort(t_in.detach().to(dtype), dim=1, stable=True)
        counts = torch.isfinite(t_sorted).sum(dim=1)
        k = max(int(counts.max()), 1) if len(counts) else 1
        t_sorted = t_sorted[:, :k].contiguous()
        self.times = t_sorted.numpy()  # [batch, k] (k: the most spiking inputs of a sample)
        self.order = order[:, :k].contiguous().numpy()  # input index per position
        self.counts = counts.numpy()  # spiking inputs per sample
        self.n_in = int(t_in.shape[1])
        finite = t_sorted[torch.isfinite(t_sorted)]
        self.latest = float(finite.abs().max()) if finite.numel() else 0.0  # largest |t|


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="relpsp")


def _ranges(batch: int) -> list[tuple[int, int]]:
    """Consecutive sample ranges, one per thread (PyTorch's count: the CLI's ``--threads``)."""
    blocks = max(1, min(torch.get_num_threads(), batch))
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
    pool = _pool(len(calls))
    for future in [pool.submit(call) for call in calls]:
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


@_jit()
def _grad_pass(g, bits, mask, mant, base, above, hist):  # pragma: no cover - JIT
    """One pass over gradients ``g``: sum |g|, sum g^2, max |g|, exact zeros (float64), and
    ``hist`` += the log10 |g| bin of every nonzero value (see ``grad_summary``)."""
    s1 = 0.0
    s2 = 0.0
    top = 0.0
    zeros = 0
    last = hist.shape[0] - 1
    for n in range(g.shape[0]):
        x = abs(np.float64(g[n]))
        s1 += x
        s2 += x * x
        top = max(top, x)
        u = np.int64(bits[n]) & mask  # |g|'s bit pattern: ordered as |g| is
        if u == 0:
            zeros += 1
        elif x == x:
            e = u >> mant
            hist[min(base[e] + (u >= above[e, 0]) + (u >= above[e, 1]), last)] += 1
    return s1, s2, top, zeros


_FLOAT_BITS = {  # dtype -> (NumPy float, same-size int, mantissa bits)
    torch.float32: (np.float32, np.int32, 23),
    torch.float64: (np.float64, np.int64, 52),
}
_TABLES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _bin_tables(dtype: torch.dtype, edges: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per exponent E of ``dtype``: the bin of the smallest value with exponent E, and the bit
    patterns of the (at most two, as 10^0.25 steps are finer than 2) interior edges 10^edge
    among the values with exponent E (int64 max where fewer)."""
    key = (dtype, edges)
    if key not in _TABLES:
        np_float, np_int, mant = _FLOAT_BITS[dtype]
        inner = (10.0 ** np.asarray(edges[1:-1])).astype(np_float).view(np_int).astype(np.int64)
        first = np.arange(1 << (8 * np.dtype(np_float).itemsize - 1 - mant), dtype=np.int64)
        first <<= mant
        base = np.searchsorted(inner, first, side="right").astype(np.int64)
        above = np.full((len(first), 2), np.iinfo(np.int64).max, dtype=np.int64)
        ends = np.append(first[1:], np.iinfo(np.int64).max)  # each exponent's end
        for e, b in enumerate(base):
            inside = inner[b : b + 2][inner[b : b + 2] < ends[e]]
            above[e, : len(inside)] = inside
        _TABLES[key] = (base, above)
    return _TABLES[key]


def grad_summary(
    grad: torch.Tensor, edges: tuple[float, ...]
) -> tuple[float, float, float, int, np.ndarray]:
    """(sum |g|, sum g^2, max |g|, exact zeros, histogram) of a gradient in one pass.

    The histogram counts the nonzero |g| per bin of log10 |g| between ``edges`` (equally
    spaced, steps under log10(2)); values below the first edge count in the first bin, above
    the last in the last. Bins come from |g|'s bit pattern compared with the edges', no
    logarithm taken (float32 and float64).
    """
    dtype = grad.dtype if grad.dtype in _FLOAT_BITS else torch.float64
    g = grad.detach().to(dtype).contiguous().view(-1).numpy()
    np_int, mant = _FLOAT_BITS[dtype][1:]
    base, above = _bin_tables(dtype, tuple(edges))
    mask = np.int64((1 << (8 * g.itemsize - 1)) - 1)
    hist = np.zeros(len(edges) - 1, dtype=np.int64)
    s1, s2, top, zeros = _grad_pass(g, g.view(np_int), mask, mant, base, above, hist)
    return s1, s2, top, zeros, hist
