"""SpikeLab's fast engine: the reference network's exact loss and gradients, computed quicker.

What makes it fast (each change leaves the maths of ``core.engine.reference`` untouched):

- the input projection of all time steps is one call, and so is its weight gradient: for
  spike events (a sparse COO input; a time-to-first-spike image has at most one event per
  pixel) an ``embedding_bag`` sum of weight rows, for dense input a matrix multiply;
- the hidden layer's time loop is one ``torch.autograd.Function`` with a hand-written backward
  through time, so no per-step autograd graph is built; each step is four fused element-wise
  operations forward (``torch.add(..., alpha=...)``, ``addcmul_``) and eight backward, on
  [B, H] slices taken with one ``unbind`` and scratch buffers that stay in cache;
- spikes are float 0/1 (comparisons into booleans are several times slower on the CPU), kept
  with the membrane for the backward pass; no [T, B, H] zero gradient is materialised;
- what does not depend on the previous step is one multiply for all steps: the gradient that
  reaches the spikes from the readout, the readout and recurrent weight gradients, the spike
  counts, and the linear readout itself (a T x T causal kernel).

Backward through time, for S[t] = H(U[t] - 1), I[t+1] = alpha I[t] + h[t],
U[t+1] = (beta U[t] + I[t]) (1 - S[t]), h[t] = x[t] W + S[t-1] V::

    gS[t] = dL/dS[t] + gh[t+1] V^T
    gU[t] = gS[t] sigma'(U[t] - 1) + beta (1 - S[t]) gU[t+1]
    gI[t] = (1 - S[t]) gU[t+1] + alpha gI[t+1]
    gh[t] = gI[t+1]
"""

from __future__ import annotations

from functools import lru_cache

import torch

from core.engine.compiled import CompiledNetwork
from core.engine.reference import readout_reference
from core.engine.sparse import InputSpikes, binary_matmul, sparse_t_matmul


def hidden_forward(
    h_in: torch.Tensor, v1: torch.Tensor | None, alpha: float, beta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Membranes U [T, B, H] and spikes S = H(U - 1) (0/1, same dtype) for input currents h_in.

    Each step is four element-wise operations on [B, H] slices that stay in cache (boolean
    tensors are avoided: comparisons into them are several times slower on the CPU). The
    reset v (1 - S) is written v - v S, the same number for S in {0, 1}.
    """
    steps = h_in.shape[0]
    mems = torch.empty_like(h_in)
    mems[0] = 0.0
    spikes = torch.empty_like(h_in)
    syn = torch.zeros_like(h_in[0])  # I[t]
    u, s, h = mems.unbind(0), spikes.unbind(0), h_in.unbind(0)  # the per-step views at once
    for t in range(steps - 1):
        torch.gt(u[t], 1.0, out=s[t])
        # U[t+1] = (beta U[t] + I[t]) (1 - S[t])
        torch.add(syn, u[t], alpha=beta, out=u[t + 1]).addcmul_(u[t + 1], s[t], value=-1.0)
        torch.add(h[t], syn, alpha=alpha, out=syn)  # I[t+1] = alpha I[t] + h[t]
        if v1 is not None and t > 0:  # h[t] = x[t] W + S[t-1] V
            syn.add_(binary_matmul(s[t - 1], v1))
    torch.gt(u[steps - 1], 1.0, out=s[steps - 1])
    return mems, spikes


def hidden_backward(
    mems: torch.Tensor,
    spikes: torch.Tensor,
    grad_h2: torch.Tensor,
    w2: torch.Tensor,
    grad_counts: torch.Tensor | None,
    v1: torch.Tensor | None,
    coeffs: tuple[float, float, float],
) -> torch.Tensor:
    """gh [T, B, H], the gradient of the hidden layer's input currents.

    dL/dS[t] comes from the readout's input gradient ``grad_h2`` [T, B, O] (through W2), the
    counts' gradient and, when recurrent, the next step's input (through V).
    """
    alpha, beta, scale = coeffs
    steps = mems.shape[0]
    grad_i = mems.new_empty((steps + 1, *mems.shape[1:]))  # gI[1..T]; gI[0] is not needed
    grad_i[steps] = 0.0
    g_u = torch.zeros_like(mems[0])  # gU[t+1]
    ones, slope = torch.ones_like(g_u), torch.empty_like(g_u)  # per-step scratch, in cache
    w2_t, v1_t = w2.T, None if v1 is None else v1.T
    g_i, u, s = grad_i.unbind(0), mems.unbind(0), spikes.unbind(0)
    # dL/dS[t] from the readout and the counts: one multiply for all steps (not one small,
    # possibly multi-threaded, GEMM per step)
    flat = grad_h2.reshape(-1, grad_h2.shape[-1])
    grad_s = (flat @ w2_t if grad_counts is None else torch.addmm(grad_counts, flat, w2_t))
    g_ss = grad_s.reshape(mems.shape).unbind(0)
    for t in range(steps - 1, 0, -1):
        g_s = g_ss[t]
        if v1_t is not None and t + 2 < steps:  # and from h[t+1], which holds S[t] V
            g_s.addmm_(g_i[t + 2], v1_t)
        # gS sigma'(U[t] - 1), sigma'(v) = 1 / (scale |v| + 1)^2
        torch.add(ones, torch.sub(u[t], 1.0, out=slope).abs_(), alpha=scale, out=slope)
        g_s.div_(slope.square_())
        g_u.addcmul_(g_u, s[t], value=-1.0)  # (1 - S[t]) gU[t+1]
        torch.add(g_u, g_i[t + 1], alpha=alpha, out=g_i[t])
        torch.add(g_s, g_u, alpha=beta, out=g_u)
    return grad_i[1:]  # gh[t] = gI[t+1]


class _Network(torch.autograd.Function):
    """Hidden LIF layer and leaky readout in one function with a hand-written backward."""

    @staticmethod
    def forward(ctx, w1, v1, w2, x, inputs, kernel, alpha, beta, scale):  # type: ignore[override]
        h_in = inputs.project(w1)
        steps, batch, hidden = h_in.shape
        mems, spikes = hidden_forward(h_in, v1, alpha, beta)
        h2 = (spikes.reshape(steps * batch, hidden) @ w2).reshape(steps, -1)
        readout = (kernel @ h2).reshape(steps, batch, -1)
        ctx.save_for_backward(mems, spikes, v1, w2, kernel, w1)
        ctx.inputs = inputs
        ctx.coeffs = (alpha, beta, scale)
        ctx.mark_non_differentiable(spikes)
        ctx.set_materialize_grads(False)  # no [T, B, H] of zeros for the spikes' gradient
        counts = spikes.new_ones(steps * batch) @ spikes.reshape(-1, hidden)  # exact: 0/1
        return readout, counts, spikes

    @staticmethod
    def backward(ctx, grad_readout, grad_counts, _grad_spikes):  # type: ignore[override]
        mems, spikes, v1, w2, kernel, w1 = ctx.saved_tensors
        steps, batch, hidden = mems.shape
        if grad_readout is None:
            grad_readout = mems.new_zeros(steps, batch, w2.shape[1])
        grad_h2 = (kernel.T @ grad_readout.reshape(steps, -1)).reshape(steps, batch, -1)
        flat = spikes.reshape(-1, hidden)
        grad_w2 = flat.T @ grad_h2.reshape(steps * batch, -1)  # few outputs: dense is cheapest
        grad_h = hidden_backward(mems, spikes, grad_h2, w2, grad_counts, v1, ctx.coeffs)
        grad_w1 = ctx.inputs.weight_grad(grad_h)
        grad_v = None
        if v1 is not None:  # gV = sum_t S[t-1]^T gh[t], one multiply with the sparse spikes
            grad_v = sparse_t_matmul(flat[: (steps - 1) * batch], grad_h[1:].reshape(-1, hidden))
        grad_x = None
        if ctx.needs_input_grad[3]:  # a trainable layer in front (e.g. Braille's encoder)
            grad_x = (grad_h.reshape(-1, hidden) @ w1.T).reshape(ctx.inputs.shape)
        return grad_w1, grad_v, grad_w2, grad_x, None, None, None, None, None


def network_fast(
    x: torch.Tensor,
    w1: torch.Tensor,
    v1: torch.Tensor | None,
    w2: torch.Tensor,
    alpha: float,
    beta: float,
    scale: float,
    compiled: bool | None = None,
):
    """Readout [T, B, O], spike counts per hidden neuron [H] and hidden spikes [T, B, H].

    Same values and gradients as the reference, including the gradient to ``x`` when it
    requires one; the spikes come without gradient (the loss reaches them through the readout
    and the counts). ``compiled``: the Numba loops of ``core.engine.compiled`` (default on the
    CPU) or this module's PyTorch operations (default elsewhere).
    """
    if compiled is None:
        compiled = x.device.type == "cpu"
    function = CompiledNetwork if compiled else _Network
    kernel = _readout_kernel(x.shape[0], float(alpha), float(beta), w2.dtype).to(w2.device)
    inputs = InputSpikes(x.detach())
    return function.apply(w1, v1, w2, x, inputs, kernel, float(alpha), float(beta), float(scale))


@lru_cache(maxsize=32)
def _readout_kernel(steps: int, alpha: float, beta: float, dtype: torch.dtype) -> torch.Tensor:
    """K [T, T] with readout[t] = sum_s K[t, s] h2[s]: the reference readout of impulses."""
    eye = torch.eye(steps, dtype=dtype)[:, :, None]  # impulse at step s, batch index s
    return readout_reference(eye, torch.ones(1, 1, dtype=dtype), alpha, beta)[:, :, 0]
