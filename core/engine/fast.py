"""SpikeLab's fast engine: the reference network's exact loss and gradients, computed quicker.

What makes it fast (each change leaves the maths of ``core.engine.reference`` untouched):

- the input projection of all time steps is one matrix multiply (a sparse one when the input
  spikes are sparse), and so is its weight gradient;
- the hidden layer's time loop is one ``torch.autograd.Function`` with a hand-written backward
  through time, so no per-step autograd graph is built;
- the backward pass keeps only the membrane (float) and the spikes (bool, 1 byte) per
  neuron-step, and computes the surrogate derivative for all steps in one vectorised call;
- the recurrent weight gradient is one matrix multiply over all steps;
- the linear readout is a T x T causal kernel applied in one multiply.

Backward through time, for S[t] = H(U[t] - 1), I[t+1] = alpha I[t] + h[t],
U[t+1] = (beta U[t] + I[t]) (1 - S[t]), h[t] = x[t] W + S[t-1] V::

    gS[t] = dL/dS[t] + gh[t+1] V^T
    gU[t] = gS[t] sigma'(U[t] - 1) + beta (1 - S[t]) gU[t+1]
    gI[t] = (1 - S[t]) gU[t+1] + alpha gI[t+1]
    gh[t] = gI[t+1]
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import torch
import torch.nn.functional as F

from core.engine.reference import readout_reference

SPARSE_BELOW = 0.1  # input densities under this use a sparse projection


class _HiddenLIF(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h_in, v1, alpha, beta, scale):  # type: ignore[override]
        steps, batch, hidden = h_in.shape
        mems = torch.empty_like(h_in)  # U[t]; the only tensor kept for the backward pass
        mems[0] = 0.0
        spikes = torch.empty_like(h_in)
        syn = torch.zeros(batch, hidden, dtype=h_in.dtype)
        keep = torch.empty(batch, hidden, dtype=h_in.dtype)
        for t in range(steps):
            torch.le(mems[t], 1.0, out=keep)
            torch.gt(mems[t], 1.0, out=spikes[t])
            if t + 1 < steps:  # U[t+1] = (beta U[t] + I[t]) (1 - S[t])
                torch.mul(mems[t], beta, out=mems[t + 1]).add_(syn).mul_(keep)
                recurrent = v1 is not None and t > 0  # h[t] = x[t] W + S[t-1] V
                h = h_in[t] + _binary_matmul(spikes[t - 1], v1) if recurrent else h_in[t]
                syn = syn.mul_(alpha).add_(h)
        ctx.save_for_backward(mems, v1)
        ctx.coeffs = (alpha, beta, scale)
        return spikes

    @staticmethod
    def backward(ctx, grad_spikes):  # type: ignore[override]
        mems, v1 = ctx.saved_tensors
        alpha, beta, scale = ctx.coeffs
        steps = mems.shape[0]
        grad_i = torch.empty(steps + 1, *mems.shape[1:], dtype=mems.dtype)  # gI[0..T]
        grad_i[0] = 0.0
        grad_i[steps] = 0.0
        g_u = torch.zeros_like(mems[0])  # gU[t+1]
        keep = torch.empty_like(g_u)
        for t in range(steps - 1, 0, -1):
            g_s = grad_spikes[t]
            if v1 is not None and t + 2 < steps:  # h[t+1] = ... + S[t] V
                g_s = torch.addmm(g_s, grad_i[t + 2], v1.T)
            torch.le(mems[t], 1.0, out=keep)  # 1 - S[t], recomputed from the membrane
            g_u_keep = g_u.mul_(keep)  # (1 - S[t]) gU[t+1]
            torch.mul(grad_i[t + 1], alpha, out=grad_i[t]).add_(g_u_keep)
            sg = (mems[t] - 1.0).abs_().mul_(scale).add_(1.0).pow_(-2)
            g_u = g_u_keep.mul_(beta).addcmul_(g_s, sg)
        grad_h = grad_i[1:]  # gh[t] = gI[t+1]
        grad_v = None
        if v1 is not None:
            hidden = mems.shape[-1]
            prev = (mems[:-1] > 1.0).reshape(-1, hidden).to(mems.dtype)  # S[t-1]
            grad_v = prev.T @ grad_h[1:].reshape(-1, hidden)
        return grad_h, grad_v, None, None, None


def _binary_matmul(spikes: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """spikes [B, H] (0/1) @ weights: a sum of the rows of active neurons when spikes are rare."""
    rows, cols = spikes.nonzero(as_tuple=True)
    if rows.numel() > SPARSE_BELOW * spikes.numel():
        return spikes @ weights
    offsets = torch.zeros(spikes.shape[0], dtype=torch.int64)
    offsets[1:] = torch.bincount(rows, minlength=spikes.shape[0]).cumsum(0)[:-1]
    return F.embedding_bag(cols, weights, offsets, mode="sum")


def _csr(
    crow: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, shape: tuple[int, int]
) -> torch.Tensor:
    """A CSR matrix from indices we built ourselves (valid by construction, so unchecked)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "CSR support is in beta"
        return torch.sparse_csr_tensor(crow, cols, values, size=shape, check_invariants=False)


class _BinaryProjection(torch.autograd.Function):
    """x @ w1 for sparse input x [rows, N]: CSR multiplies forward and backward."""

    @staticmethod
    def forward(ctx, rows, cols, values, shape, w1):  # type: ignore[override]
        n_rows, n_in = shape
        crow = torch.zeros(n_rows + 1, dtype=torch.int64)
        crow[1:] = torch.bincount(rows, minlength=n_rows).cumsum(0)
        x = _csr(crow, cols, values, shape)
        ctx.save_for_backward(rows, cols, values)
        ctx.shape = shape
        return x @ w1

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        rows, cols, values = ctx.saved_tensors
        n_rows, n_in = ctx.shape
        order = torch.argsort(cols, stable=True)
        crow = torch.zeros(n_in + 1, dtype=torch.int64)
        crow[1:] = torch.bincount(cols, minlength=n_in).cumsum(0)
        x_t = _csr(crow, rows[order], values[order], (n_in, n_rows))
        return None, None, None, None, x_t @ grad_out


def project_input(x: torch.Tensor, w1: torch.Tensor) -> torch.Tensor:
    """x [T, B, N] @ w1 as one multiply; a sparse one when few inputs are non-zero.

    ``x`` may be dense or a sparse COO tensor (the event form of the data sets), which skips
    the scan for non-zeros.
    """
    steps, batch, inputs = x.shape
    if x.is_sparse:
        x = x.coalesce()  # sorted by (t, b, n), so rows come out sorted
        t, b, cols = x.indices()
        rows, values = t * batch + b, x.values()
    else:
        flat = x.reshape(steps * batch, inputs)
        rows, cols = flat.nonzero(as_tuple=True)
        if rows.numel() >= SPARSE_BELOW * flat.numel():
            return (flat @ w1).reshape(steps, batch, -1)
        values = flat[rows, cols]
    out = _BinaryProjection.apply(rows, cols, values, (steps * batch, inputs), w1)
    return out.reshape(steps, batch, -1)


def hidden_fast(
    x: torch.Tensor,
    w1: torch.Tensor,
    v1: torch.Tensor | None,
    alpha: float,
    beta: float,
    scale: float,
) -> torch.Tensor:
    """Hidden spikes [T, B, H]; same values and gradients as ``hidden_reference``."""
    return _HiddenLIF.apply(project_input(x, w1), v1, float(alpha), float(beta), float(scale))


@lru_cache(maxsize=32)
def _readout_kernel(steps: int, alpha: float, beta: float, dtype: torch.dtype) -> torch.Tensor:
    """K [T, T] with readout[t] = sum_s K[t, s] h2[s]: the reference readout of impulses."""
    eye = torch.eye(steps, dtype=dtype)[:, :, None]  # impulse at step s, batch index s
    return readout_reference(eye, torch.ones(1, 1, dtype=dtype), alpha, beta)[:, :, 0]


def readout_fast(
    spikes: torch.Tensor, w2: torch.Tensor, alpha: float, beta: float
) -> torch.Tensor:
    """Readout membrane [T, B, O] as one causal-kernel multiply."""
    steps, batch, hidden = spikes.shape
    h2 = (spikes.reshape(steps * batch, hidden) @ w2).reshape(steps, -1)
    kernel = _readout_kernel(steps, float(alpha), float(beta), spikes.dtype)
    return (kernel @ h2).reshape(steps, batch, -1)
