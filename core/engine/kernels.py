"""The fast engine's loops on the CPU, compiled with Numba.

As separate PyTorch operations, a time step of the hidden layer costs about fifteen
dispatches and as many passes over [B, H] memory, and the sparse products need sorts, index
gathers and scratch tensors. Here each pass is one compiled loop: the samples of a batch are
independent through time, so blocks of samples run their whole time loops in parallel (one
parallel region per pass, not per step), a neuron's numbers stay in registers across a step's
updates, and the sparse products walk the input events and hidden spikes directly.

What made these loops fast, measured on the SHD-shaped step (keep it that way):
inner loops run over a whole 1-D row from index 0 (``_axpy``; Numba does not vectorise a
``range(lo, hi)`` inner loop: 9x slower); the threads write to partial sums of their own, not
to slices of one output (shared cache lines made two threads slower than one); the scalars
take the arrays' dtype (float32 work stays float32).

- ``forward_loop``: input projection (from events, or given dense), recurrent rows of the
  neurons that fired, the LIF updates and the readout's input S W2, all in one pass;
- ``backward_steps``: steps of the backward recursion; the dense products that feed it (the
  readout's term gh2 W2^T for all steps at once, and the recurrent term gI[t+2] V^T between
  the steps) are PyTorch's GEMMs;
- the weight gradients (x^T gh over the input events, gV and gW2 over the hidden spikes) are
  added inside the backward steps while gh is in cache, into one partial sum per thread.

The maths is ``core.engine.fast``'s (its docstring has the recursion); the order of the sums
differs, so values agree to rounding. Arguments a call does not use are passed as empty arrays.
"""

from __future__ import annotations

import numba
import numpy as np

from core.jit import jit

#: The passes: parallel loops; "numpy" error model: a division by zero gives inf, not a check
#: in the loop (which would stop LLVM from vectorising it).
_PASS = {"parallel": True, "error_model": "numpy"}
#: Samples a thread takes at a time through the time loop: their [BLOCK, H] slices of a step
#: lie together in memory (the whole time loop of one sample would stride across [T, B, H]).
BLOCK = 8


@jit(**_PASS)
def forward_loop(h_in, crow, cols, vals, w1, v1, w2, alpha, beta, mems, spikes, h2, fired,
                 n_fired, counts):
    """Fill mems, spikes [T, B, H], h2 = S W2 [T, B, O] (zero on entry), the spiking
    neurons of each (t, b): fired[t, b, :n_fired[t, b]] (the sparse form the backward uses),
    and each neuron's spike count, one partial sum per thread (counts [P, H], zero on entry).

    The input current h[t] = x[t] W1 + S[t-1] V is h_in[t] when h_in is not empty (dense
    input), else the rows of W1 of the events crow[t B + b] : crow[t B + b + 1] (cols, and
    vals unless empty). V is used when not empty.
    """
    steps, batch, hidden = mems.shape
    dense, weighted, recurrent = h_in.size > 0, vals.size > 0, v1.size > 0
    one, zero = mems.dtype.type(1.0), mems.dtype.type(0.0)
    alpha, beta = mems.dtype.type(alpha), mems.dtype.type(beta)
    for block in numba.prange(-(-batch // BLOCK)):
        lo, hi, mine = block * BLOCK, min(batch, (block + 1) * BLOCK), numba.get_thread_id()
        currents = np.zeros((hi - lo, hidden), dtype=mems.dtype)  # I[t] of the block
        mems[0, lo:hi] = zero
        for t in range(steps):
            for b in range(lo, hi):
                u, s, syn = mems[t, b], spikes[t, b], currents[b - lo]
                for j in range(hidden):
                    s[j] = one if u[j] > one else zero
                n_fired[t, b] = n = _compact(u, one, fired[t, b])
                for k in fired[t, b, :n]:  # the readout's input S[t] W2, and the counts
                    _axpy(one, w2[k], h2[t, b])
                    counts[mine, k] += one
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


@jit(error_model="numpy")
def _compact(u, threshold, out):
    """Write the indices j with u[j] > threshold to out[:n] and return n (no branches)."""
    n = 0
    for j in range(u.size):
        out[n] = j
        n += u[j] > threshold
    return n


@jit(error_model="numpy")
def _axpy(a, x, y):
    """y += a x (1-D, same length): a loop from 0 over whole rows, which LLVM vectorises."""
    for j in range(y.size):
        y[j] += a * x[j]


@jit(**_PASS)
def backward_steps(first, last, grad_s, grad_rec, grad_counts, mems, spikes, grad_u, grad_i,
                   coeffs, events, fired, grad_h2, partials):
    """Steps t = first, first - 1, ..., last of the backward recursion, and the weight
    gradients that the step's numbers complete.

    dL/dS[t] = grad_s[t] (the readout's term) + grad_counts [H] (+ grad_rec [B, H], the
    recurrent term of step t, when not empty);
    grad_u [B, H] carries gU[t+1] between calls; grad_i [T + 1, B, H] receives gI[t]
    (= gh[t-1]). While gh[t-1] is in cache it is added to the input weight rows of the events
    of step t-1 and to the recurrent rows of the neurons that fired at t-2; gh2[t] goes to the
    readout rows of those that fire at t. ``partials`` (gW1 [P, N, H], gV [P, H, H] or empty,
    gW2 [P, H, O]) hold one sum per thread (P threads), the caller adds them.
    """
    _, batch, hidden = mems.shape
    dtype = mems.dtype.type
    alpha, beta, scale = dtype(coeffs[0]), dtype(coeffs[1]), dtype(coeffs[2])
    crow, cols, vals = events
    fired_at, n_fired = fired
    grad_w1, grad_v, grad_w2 = partials
    recurrent, weighted = grad_rec.size > 0, vals.size > 0
    one, zero = dtype(1.0), dtype(0.0)
    for block in numba.prange(-(-batch // BLOCK)):
        mine = numba.get_thread_id()
        for t in range(first, last - 1, -1):
            for b in range(block * BLOCK, min(batch, (block + 1) * BLOCK)):
                u, s, g_s, g_u = mems[t, b], spikes[t, b], grad_s[t, b], grad_u[b]
                g_r = grad_rec[b] if recurrent else grad_s[t, b]  # (unused when not recurrent)
                g_i, g_next = grad_i[t, b], grad_i[t + 1, b]
                for j in range(hidden):
                    slope = one + scale * abs(u[j] - one)  # sigma' = 1 / slope^2
                    kept = g_u[j] - g_u[j] * s[j]  # (1 - S[t]) gU[t+1]
                    g_i[j] = kept + alpha * g_next[j]
                    dl_ds = g_s[j] + grad_counts[j] + (g_r[j] if recurrent else zero)
                    g_u[j] = dl_ds / (slope * slope) + beta * kept
                row = (t - 1) * batch + b  # gW1 += x[t-1]^T gh[t-1]
                for e in range(crow[row], crow[row + 1]):
                    _axpy(vals[e] if weighted else one, g_i, grad_w1[mine, cols[e]])
                if grad_v.size > 0 and t >= 2:  # gV += S[t-2]^T gh[t-1]
                    for k in fired_at[t - 2, b, : n_fired[t - 2, b]]:
                        _axpy(one, g_i, grad_v[mine, k])
                for k in fired_at[t, b, : n_fired[t, b]]:  # gW2 += S[t]^T gh2[t]
                    _axpy(one, grad_h2[t, b], grad_w2[mine, k])
