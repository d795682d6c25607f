"""The fast engine's loops on the CPU, compiled with Numba.

As separate PyTorch operations, a time step of the hidden layer costs about fifteen
dispatches and as many passes over [B, H] memory, and the sparse products need sorts, index
gathers and scratch tensors. Here each pass is one compiled loop: the samples of a batch are
independent through time, so the forward and backward passes run each sample's whole time loop
in parallel, a neuron's numbers stay in registers across a step's updates, and the sparse
products walk the input events and hidden spikes directly.

- ``forward_loop``: input projection (from events, or given dense), recurrent rows of the
  neurons that fired, the LIF updates and the readout's input S W2, all in one pass;
- ``backward_steps``: steps of the backward recursion; the dense products that feed it (the
  readout's term gh2 W2^T for all steps at once, and the recurrent term gI[t+2] V^T between
  the steps) are PyTorch's GEMMs;
- ``event_weight_grad`` (x^T gh for the input events) and ``spike_weight_grads`` (gV and gW2
  from the hidden spikes): sums over events, split so that no two threads write one number.

The maths is ``core.engine.fast``'s (its docstring has the recursion); the order of the sums
differs, so values agree to rounding. Arguments a call does not use are passed as empty arrays.
"""

from __future__ import annotations

import numba
import numpy as np

_JIT = {"nogil": True, "cache": True, "parallel": True, "error_model": "numpy"}
#: Samples a thread takes at a time through the time loop: their [BLOCK, H] slices of a step
#: lie together in memory (the whole time loop of one sample would stride across [T, B, H]).
BLOCK = 8


@numba.njit(**_JIT)
def forward_loop(h_in, crow, cols, vals, w1, v1, w2, alpha, beta, mems, spikes, h2, fired,
                 n_fired):
    """Fill mems, spikes [T, B, H], h2 = S W2 [T, B, O] (zero on entry) and the spiking
    neurons of each (t, b): fired[t, b, :n_fired[t, b]] (the sparse form the backward uses).

    The input current h[t] = x[t] W1 + S[t-1] V is h_in[t] when h_in is not empty (dense
    input), else the rows of W1 of the events crow[t B + b] : crow[t B + b + 1] (cols, and
    vals unless empty). V is used when not empty.
    """
    steps, batch, hidden = mems.shape
    dense, weighted, recurrent = h_in.size > 0, vals.size > 0, v1.size > 0
    one, zero = mems.dtype.type(1.0), mems.dtype.type(0.0)
    alpha, beta = mems.dtype.type(alpha), mems.dtype.type(beta)
    for block in numba.prange(-(-batch // BLOCK)):
        lo, hi = block * BLOCK, min(batch, (block + 1) * BLOCK)
        currents = np.zeros((hi - lo, hidden), dtype=mems.dtype)  # I[t] of the block
        mems[0, lo:hi] = zero
        for t in range(steps):
            for b in range(lo, hi):
                u, s, syn = mems[t, b], spikes[t, b], currents[b - lo]
                for j in range(hidden):
                    s[j] = one if u[j] > one else zero
                n_fired[t, b] = n = _compact(u, one, fired[t, b])
                for k in range(n):  # the readout's input S[t] W2
                    _axpy(one, w2[fired[t, b, k]], h2[t, b])
                if t + 1 == steps:
                    continue
                nxt = mems[t + 1, b]  # U[t+1] = (beta U[t] + I[t]) (1 - S[t]), I[t+1] = alpha I[t]
                for j in range(hidden):
                    v = syn[j] + beta * u[j]
                    nxt[j] = v - v * s[j]
                    syn[j] = alpha * syn[j]
                if dense:  # + h[t]: x[t] W1 ...
                    syn += h_in[t, b]
                row = t * batch + b
                for e in range(crow[row], crow[row + 1]):
                    _axpy(vals[e] if weighted else one, w1[cols[e]], syn)
                if recurrent and t > 0:  # ... + S[t-1] V
                    for k in range(n_fired[t - 1, b]):
                        _axpy(one, v1[fired[t - 1, b, k]], syn)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _compact(u, threshold, out):
    """Write the indices j with u[j] > threshold to out[:n] and return n (no branches)."""
    n = 0
    for j in range(u.size):
        out[n] = j
        n += u[j] > threshold
    return n


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _axpy(a, x, y):
    """y += a x (1-D, same length); a loop from 0 that LLVM vectorises."""
    for j in range(y.size):
        y[j] += a * x[j]


@numba.njit(**_JIT)
def backward_steps(first, last, grad_s, grad_rec, mems, spikes, grad_u, grad_i, alpha, beta,
                   scale):
    """Steps t = first, first - 1, ..., last of the backward recursion.

    dL/dS[t] = grad_s[t] (+ grad_rec [B, H], the recurrent term of step t, when not empty);
    grad_u [B, H] carries gU[t+1] between calls; grad_i [T + 1, B, H] receives gI[t].
    """
    _, batch, hidden = mems.shape
    recurrent = grad_rec.size > 0
    alpha, beta, scale = mems.dtype.type(alpha), mems.dtype.type(beta), mems.dtype.type(scale)
    one, zero = mems.dtype.type(1.0), mems.dtype.type(0.0)
    for block in numba.prange(-(-batch // BLOCK)):
        for t in range(first, last - 1, -1):
            for b in range(block * BLOCK, min(batch, (block + 1) * BLOCK)):
                u, s, g_s, g_u = mems[t, b], spikes[t, b], grad_s[t, b], grad_u[b]
                g_r = grad_rec[b] if recurrent else grad_s[t, b]  # (unused when not recurrent)
                g_i, g_next = grad_i[t, b], grad_i[t + 1, b]
                for j in range(hidden):
                    slope = one + scale * abs(u[j] - one)  # sigma' = 1 / slope^2
                    kept = g_u[j] - g_u[j] * s[j]  # (1 - S[t]) gU[t+1]
                    g_i[j] = kept + alpha * g_next[j]
                    dl_ds = g_s[j] + (g_r[j] if recurrent else zero)
                    g_u[j] = dl_ds / (slope * slope) + beta * kept


@numba.njit(**_JIT)
def event_weight_grad(crow, cols, vals, grad_i, out):
    """out[block] += x^T gh over the input events of a block of samples, gh[t] = gI[t + 1]:
    one partial sum [N, H] per block (zero on entry, out [blocks, N, H]), the caller adds
    them."""
    steps, batch = grad_i.shape[0] - 1, grad_i.shape[1]
    blocks = out.shape[0]
    weighted, one = vals.size > 0, out.dtype.type(1.0)
    for block in numba.prange(blocks):
        for t in range(steps):
            for b in range(block * batch // blocks, (block + 1) * batch // blocks):
                row = t * batch + b
                for e in range(crow[row], crow[row + 1]):
                    _axpy(vals[e] if weighted else one, grad_i[t + 1, b], out[block, cols[e]])


@numba.njit(**_JIT)
def spike_weight_grads(fired, n_fired, grad_i, grad_h2, recurrent, grad_v, grad_w2):
    """Per block of samples: grad_w2[k] += sum S[t]^T gh2[t] and, when recurrent,
    grad_v[k] += sum S[t]^T gh[t+1] (gh[t+1] = gI[t+2]), over the spikes fired/n_fired of
    the forward pass; grad_v [blocks, H, H] and grad_w2 [blocks, H, O] hold one partial sum
    per block (zero on entry), the caller adds them."""
    steps, batch = n_fired.shape
    blocks = grad_w2.shape[0]
    one = grad_w2.dtype.type(1.0)
    for block in numba.prange(blocks):
        for b in range(block * batch // blocks, (block + 1) * batch // blocks):
            for t in range(steps):
                for k in fired[t, b, : n_fired[t, b]]:
                    _axpy(one, grad_h2[t, b], grad_w2[block, k])
                    if recurrent and t + 1 < steps:
                        _axpy(one, grad_i[t + 2, b], grad_v[block, k])
