"""The chunked computation behind ``core.relpsp.functional``: exact ReL-PSP spike times and
STDBP gradients without [batch, inputs, neurons] tensors.

Each sample's inputs are sorted by time and the sorted positions cut into chunks of ``chunk``.
A chunk's sums of w and w * t are products of a sparse [batch * chunks, inputs] matrix (one
entry per spiking input) with W, and a tiny triangular matrix product turns them into running
sums: V_j at every chunk's start. Within a chunk V_j rises no faster than the slope so far plus
the chunk's positive weights, a bound that rules out most chunks; the first chunk that may hold
the crossing is then searched position by position (a [pairs, chunk] gather of the neuron's
weights). The backward pass splits each causal set {i : t_i < t_j} the same way: its whole
chunks go through sparse products, the chunk where it ends is gathered.

Tensors below are laid out [batch, n_out, chunks] for per-neuron work, and sorted positions
are rows of [batch * chunks, chunk] "windows".
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import torch

BOUND_SLACK = 1e-3  # relative slack on the chunk bound, far above float rounding


class Layout(NamedTuple):
    """A batch's sorted inputs cut into chunks (window row b * chunks + q holds chunk q of b)."""

    times: torch.Tensor  # [batch, K] sorted times, inf-padded (K = chunks * chunk)
    order: torch.Tensor  # [batch, K] input index per position; n_in where no input spikes
    window: torch.Tensor  # [batch * chunks, 2 * chunk]: times (0 if none), next position's time
    scaled: torch.Tensor  # [batch * chunks, chunk] int32: input index * n_out (weight rows)
    starts: torch.Tensor  # [batch, 1, chunks] time of each chunk's first position (inf: none)
    spans: torch.Tensor  # [batch, 1, chunks] until the next chunk's first position (inf/nan)
    chunk: int
    chunks: int
    ones: torch.Tensor  # sparse CSR [batch * chunks, n_in]: 1 where input i is in chunk q
    stamps: torch.Tensor  # the same pattern with t_i instead of 1


def layout(t_in: torch.Tensor, chunk: int, n_out: int, dtype: torch.dtype) -> Layout:
    """Sort each sample's inputs and cut them into chunks (dtype: that of the weights)."""
    batch, n_in = t_in.shape
    t_sorted, order = torch.sort(t_in.to(dtype), dim=1, stable=True)
    chunks = -(-max(int(torch.isfinite(t_sorted).sum(dim=1).max()), 1) // chunk)
    size = chunks * chunk
    pad = max(size + 1 - n_in, 0)  # K positions, and one more time (inf) after the last
    t_sorted = torch.cat([t_sorted, t_sorted.new_full((batch, pad), math.inf)], 1)[:, : size + 1]
    times = t_sorted[:, :size]
    spiking = torch.isfinite(times)
    order = torch.where(spiking, torch.cat([order, order.new_zeros(batch, pad)], 1)[:, :size],
                        n_in)
    stamps0 = torch.where(spiking, times, 0.0)
    window = torch.cat([stamps0.reshape(-1, chunk), t_sorted[:, 1:].reshape(-1, chunk)], 1)
    b_idx, p_idx = spiking.nonzero(as_tuple=True)
    rows = b_idx * chunks + torch.div(p_idx, chunk, rounding_mode="floor")
    crow = torch.zeros(batch * chunks + 1, dtype=torch.int64)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=batch * chunks), 0)
    cols = order[b_idx, p_idx]
    shape = (batch * chunks, n_in)
    starts = t_sorted[:, 0:size:chunk].unsqueeze(1)
    return Layout(
        times=times.contiguous(),
        order=order,
        window=window,
        scaled=(order * n_out).to(torch.int32).view(-1, chunk),
        starts=starts,
        spans=t_sorted[:, chunk::chunk].unsqueeze(1) - starts,
        chunk=chunk,
        chunks=chunks,
        ones=csr(crow, cols, torch.ones(len(cols), dtype=dtype), shape),
        stamps=csr(crow, cols, stamps0[b_idx, p_idx], shape),
    )


def csr(crow: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, shape) -> torch.Tensor:
    """A sparse CSR matrix (its indices are valid by construction; torch's beta notice is
    silenced)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, cols, values, shape, check_invariants=False)


def padded(weight: torch.Tensor) -> torch.Tensor:
    """The weights, flat, with a zero row appended for the positions where no input spikes."""
    return torch.cat([weight, weight.new_zeros(1, weight.shape[1])]).reshape(-1)


def running(lay: Layout, per_chunk: torch.Tensor) -> torch.Tensor:
    """[batch * chunks, n_out] chunk sums -> [batch, n_out, chunks + 1]: the sums over the
    chunks before each chunk (a triangular matrix product)."""
    earlier = torch.tril(per_chunk.new_ones(lay.chunks + 1, lay.chunks), diagonal=-1)
    per_chunk = per_chunk.view(-1, lay.chunks, per_chunk.shape[1])
    return torch.matmul(per_chunk.transpose(1, 2), earlier.T)


def slack(lay: Layout, weight: torch.Tensor, theta: float) -> float:
    """How far below theta a chunk's bound may fall and the chunk still be searched: a relative
    ``BOUND_SLACK`` of the largest |V| the sums can hold, far above their rounding errors."""
    spiking = lay.window[:, : lay.chunk]
    latest = float(spiking.abs().max()) if spiking.numel() else 0.0
    return BOUND_SLACK * (theta + latest * float(weight.abs().sum(dim=0).max()))


def candidates(
    lay: Layout, weight: torch.Tensor, w_sum: torch.Tensor, wt_sum: torch.Tensor, level: float
) -> torch.Tensor:
    """[batch, n_out, chunks]: False where V_j cannot reach ``level`` inside the chunk.

    V at a chunk's start is t_start * sum w - sum w t over the earlier chunks; inside the chunk
    its slope is at most that sum w plus the chunk's positive weights. Chunks without spikes
    come out NaN, hence False.
    """
    batch, n_out = w_sum.shape[:2]
    rise = (lay.ones @ weight.clamp(min=0.0)).view(batch, lay.chunks, n_out).transpose(1, 2)
    rise = rise + w_sum[..., :-1]
    bound = lay.starts * w_sum[..., :-1]
    bound.sub_(wt_sum[..., :-1])
    bound.add_(rise.clamp_(min=0.0).mul_(lay.spans))
    return bound >= level


def _rows(lay: Layout, pairs: torch.Tensor, q: torch.Tensor, n_out: int):
    """Window rows of chunk ``q`` of each (sample, neuron) pair, and flat weight indices there."""
    b = torch.div(pairs, n_out, rounding_mode="floor")
    j = (pairs - b * n_out).to(torch.int32)
    rows = b * lay.chunks + q
    w_idx = lay.scaled.index_select(0, rows) + j.unsqueeze(1)
    return rows, w_idx.view(-1)


def search(
    lay: Layout,
    w_pad: torch.Tensor,
    w_sum: torch.Tensor,
    wt_sum: torch.Tensor,
    maybe: torch.Tensor,
    theta: float,
) -> torch.Tensor:
    """First-spike times [batch, n_out]: the exact prefix search in candidate chunks.

    In chunk q the search starts from the running sums of the earlier chunks and stops at the
    first position p with V(t_{p+1}) >= theta and slope > 0: the crossing lies in
    (t_p, t_{p+1}] and t_j = (theta + sum w t) / sum w over the positions up to p.
    """
    batch, n_out, nq = maybe.shape
    c = lay.chunk
    out = w_sum.new_full((batch * n_out,), math.inf)
    has, q = maybe.view(torch.uint8).max(dim=2)
    pairs = has.view(-1).nonzero().squeeze(1)
    q = q.view(-1)[pairs]
    rest = maybe.view(batch * n_out, nq)[pairs]  # each pair's candidate chunks
    while pairs.numel():
        rows, w_idx = _rows(lay, pairs, q, n_out)
        w = w_pad.index_select(0, w_idx).view(-1, c)
        win = lay.window.index_select(0, rows)
        wt = w * win[:, :c]
        run = pairs * (nq + 1) + q  # the running sums start the cumulative sums
        w[:, 0] += w_sum.view(-1).index_select(0, run)
        wt[:, 0] += wt_sum.view(-1).index_select(0, run)
        w_cum, wt_cum = torch.cumsum(w, dim=1), torch.cumsum(wt, dim=1)
        # V(t_{p+1}) >= theta; V < theta at the chunk's start (else an earlier chunk held the
        # crossing), so the slope there is positive up to rounding, checked at the hit.
        found, at = (win[:, c:] * w_cum - wt_cum >= theta).view(torch.uint8).max(1, True)
        w_at = torch.gather(w_cum, 1, at).squeeze(1)
        found = found.squeeze(1).bool() & (w_at > 0)
        t_j = (torch.gather(wt_cum, 1, at).squeeze(1) + theta) / w_at
        out[pairs[found]] = t_j[found]
        rest[torch.arange(len(pairs)), q] = False
        has, next_q = rest.view(torch.uint8).max(dim=1)
        keep = ~found & has.bool()
        pairs, q, rest = pairs[keep], next_q[keep], rest[keep]
    return out.view(batch, n_out)


class Causal(NamedTuple):
    """Each neuron's causal set C = {i : t_i < t_j}: the whole chunks before ``full``, then the
    first positions of chunk ``full`` for the (sample, neuron) ``pairs`` listed."""

    full: torch.Tensor  # [batch, n_out] number of whole chunks in C
    pairs: torch.Tensor  # [P] flat (sample, neuron) indices whose C ends inside a chunk
    rows: torch.Tensor  # [P] window rows of that chunk
    w_idx: torch.Tensor  # [P * chunk] flat weight indices there (input * n_out + neuron)
    inside: torch.Tensor  # [P, chunk] True for the positions in C
    weights: torch.Tensor  # [P, chunk] w_ij there, 0 outside C
    slope: torch.Tensor  # [batch, n_out] sum_C w (0 for silent neurons)


def causal_sets(
    lay: Layout, w_pad: torch.Tensor, t_out: torch.Tensor, w_sum: torch.Tensor
) -> Causal:
    """The causal sets of the output spikes ``t_out`` (see ``Causal``)."""
    n_out = t_out.shape[1]
    probe = torch.where(torch.isfinite(t_out), t_out, -math.inf).to(lay.times.dtype)
    count = torch.searchsorted(lay.times, probe.contiguous())
    full = torch.div(count, lay.chunk, rounding_mode="floor")
    part = count - full * lay.chunk
    slope = torch.gather(w_sum, 2, full.unsqueeze(2)).squeeze(2)
    pairs = (part > 0).view(-1).nonzero().squeeze(1)
    rows, w_idx = _rows(lay, pairs, full.view(-1)[pairs], n_out)
    inside = torch.arange(lay.chunk) < part.view(-1)[pairs].unsqueeze(1)
    weights = w_pad.index_select(0, w_idx).view(inside.shape).masked_fill_(~inside, 0.0)
    slope.view(-1).index_add_(0, pairs, weights.sum(dim=1))
    return Causal(full, pairs, rows, w_idx, inside, weights, slope)


def _transposed(lay: Layout) -> tuple[torch.Tensor, torch.Tensor]:
    """The transposes of ``lay.ones`` and ``lay.stamps``, as CSR [n_in, batch * chunks]."""
    n_rows, n_cols = lay.ones.shape
    crow, cols = lay.ones.crow_indices(), lay.ones.col_indices()
    rows = torch.repeat_interleave(torch.arange(n_rows), crow[1:] - crow[:-1])
    perm = torch.argsort(cols, stable=True)
    crow_t = torch.zeros(n_cols + 1, dtype=torch.int64)
    crow_t[1:] = torch.cumsum(torch.bincount(cols, minlength=n_cols), 0)
    return tuple(  # type: ignore[return-value]
        csr(crow_t, rows[perm], m.values()[perm], (n_cols, n_rows))
        for m in (lay.ones, lay.stamps)
    )


def weight_grads(
    lay: Layout, cs: Causal, g: torch.Tensor, t_fired: torch.Tensor
) -> torch.Tensor:
    """dL/dw_ij = sum over samples of [i in C_j] (t_i - t_j) g_j, [n_in + 1, n_out] (the last
    row, for positions without a spike, is zero)."""
    batch, n_out = g.shape
    before = torch.arange(lay.chunks).view(1, -1, 1) < cs.full.unsqueeze(1)
    h = torch.where(before, g.unsqueeze(1), 0.0)  # [batch, chunks, n_out]: g_j on C's chunks
    ones_t, stamps_t = _transposed(lay)
    grad = stamps_t @ h.view(-1, n_out)
    grad -= ones_t @ h.mul_(t_fired.unsqueeze(1)).view(-1, n_out)
    grad = torch.cat([grad, grad.new_zeros(1, n_out)])
    lag = lay.window[:, : lay.chunk].index_select(0, cs.rows)
    lag.sub_(t_fired.view(-1)[cs.pairs].unsqueeze(1)).mul_(g.view(-1)[cs.pairs].unsqueeze(1))
    grad.view(-1).index_add_(0, cs.w_idx, lag.masked_fill_(~cs.inside, 0.0).view(-1))
    return grad


def input_grads(lay: Layout, weight: torch.Tensor, cs: Causal, g: torch.Tensor) -> torch.Tensor:
    """dL/dt_i = sum_j [i in C_j] w_ij g_j, [batch, n_in]."""
    batch, n_out = g.shape
    n_in, nq = weight.shape[0], lay.chunks
    # Neuron j covers chunk q when q < full_j. ``ends`` holds g_j at row (b, full_bj); the
    # products with W^T summed over the rows after q give each chunk's whole-chunk part.
    rows = (torch.arange(batch).unsqueeze(1) * (nq + 1) + cs.full).view(-1)
    perm = torch.argsort(rows, stable=True)
    crow = torch.zeros(batch * (nq + 1) + 1, dtype=torch.int64)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=batch * (nq + 1)), 0)
    cols = torch.arange(n_out).repeat(batch)[perm]
    ends = csr(crow, cols, g.reshape(-1)[perm], (len(crow) - 1, n_out))
    per_end = (ends @ weight.T.contiguous()).view(batch, nq + 1, n_in)
    later = torch.triu(g.new_ones(nq, nq + 1), diagonal=1)
    reach = torch.cat([torch.matmul(later, per_end), g.new_zeros(batch, nq, 1)], 2)
    where = torch.arange(batch * nq).view(-1, 1) * (n_in + 1) + lay.order.view(-1, lay.chunk)
    grad = reach.view(-1).index_select(0, where.view(-1)).view(-1, lay.chunk)
    part = cs.weights * g.view(-1)[cs.pairs].unsqueeze(1)
    grad.index_add_(0, cs.rows, part)
    out = g.new_zeros(batch, n_in + 1)
    return out.scatter_add_(1, lay.order, grad.view(batch, -1))[:, :n_in]
