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

from functools import lru_cache

import torch

from core.engine.reference import readout_reference
from core.engine.sparse import InputSpikes, binary_matmul, sparse_t_matmul


class _Network(torch.autograd.Function):
    """Hidden LIF layer and leaky readout in one function with a hand-written backward."""

    @staticmethod
    def forward(ctx, w1, v1, w2, x, inputs, kernel, alpha, beta, scale):  # type: ignore[override]
        h_in = inputs.project(w1)
        steps, batch, hidden = h_in.shape
        mems = torch.empty_like(h_in)  # U[t]; the only tensor kept for the backward pass
        mems[0] = 0.0
        spikes = torch.empty_like(h_in)
        syn = h_in.new_zeros(batch, hidden)
        keep = h_in.new_empty(batch, hidden)
        for t in range(steps):
            torch.le(mems[t], 1.0, out=keep)
            torch.gt(mems[t], 1.0, out=spikes[t])
            if t + 1 < steps:  # U[t+1] = (beta U[t] + I[t]) (1 - S[t])
                torch.mul(mems[t], beta, out=mems[t + 1]).add_(syn).mul_(keep)
                syn = syn.mul_(alpha).add_(h_in[t])  # I[t+1] = alpha I[t] + h[t]
                if v1 is not None and t > 0:  # h[t] = x[t] W + S[t-1] V
                    syn.add_(binary_matmul(spikes[t - 1], v1))
        h2 = (spikes.reshape(steps * batch, hidden) @ w2).reshape(steps, -1)
        readout = (kernel @ h2).reshape(steps, batch, -1)
        ctx.save_for_backward(mems, v1, w2, kernel, w1)
        ctx.inputs = inputs
        ctx.coeffs = (alpha, beta, scale)
        ctx.mark_non_differentiable(spikes)
        return readout, spikes.sum(dim=(0, 1)), spikes

    @staticmethod
    def backward(ctx, grad_readout, grad_counts, _grad_spikes):  # type: ignore[override]
        mems, v1, w2, kernel, w1 = ctx.saved_tensors
        alpha, beta, scale = ctx.coeffs
        inputs = ctx.inputs
        grad_w1 = torch.zeros_like(w1)
        steps, batch, hidden = mems.shape
        grad_h2 = (kernel.T @ grad_readout.reshape(steps, -1)).reshape(steps, batch, -1)
        spiked = (mems > 1.0).reshape(-1, hidden)
        grad_w2 = sparse_t_matmul(spiked, grad_h2.reshape(steps * batch, -1))
        grad_i = mems.new_empty(steps + 1, batch, hidden)  # gI[0..T]
        grad_i[0] = 0.0
        grad_i[steps] = 0.0
        g_u = torch.zeros_like(mems[0])  # gU[t+1]
        keep = torch.empty_like(g_u)
        w2_t = w2.T
        for t in range(steps - 1, 0, -1):
            g_s = torch.addmm(grad_counts, grad_h2[t], w2_t)  # dL/dS[t] from readout and counts
            if v1 is not None and t + 2 < steps:  # h[t+1] = ... + S[t] V
                g_s.addmm_(grad_i[t + 2], v1.T)
            torch.le(mems[t], 1.0, out=keep)  # 1 - S[t], recomputed from the membrane
            g_u_keep = g_u.mul_(keep)  # (1 - S[t]) gU[t+1]
            torch.mul(grad_i[t + 1], alpha, out=grad_i[t]).add_(g_u_keep)
            sg = (mems[t] - 1.0).abs_().mul_(scale).add_(1.0).pow_(-2)
            g_u = g_u_keep.mul_(beta).addcmul_(g_s, sg)
            if inputs.dense is None and t + 1 < steps:  # gh[t] = gI[t+1] is final now
                inputs.add_weight_grad(grad_w1, t, grad_i[t + 1])
        grad_h = grad_i[1:]  # gh[t] = gI[t+1]
        if inputs.dense is None:
            inputs.add_weight_grad(grad_w1, 0, grad_i[1])
        else:
            grad_w1 = inputs.dense_weight_grad(grad_h)
        grad_v = None
        if v1 is not None:  # gV = sum_t S[t-1]^T gh[t], one multiply with the sparse spikes
            prev = spiked[: (steps - 1) * batch]
            grad_v = sparse_t_matmul(prev, grad_h[1:].reshape(-1, hidden))
        grad_x = None
        if ctx.needs_input_grad[3]:  # a trainable layer in front (e.g. Braille's encoder)
            grad_x = (grad_h.reshape(-1, hidden) @ w1.T).reshape(inputs.shape)
        return grad_w1, grad_v, grad_w2, grad_x, None, None, None, None, None


def network_fast(
    x: torch.Tensor,
    w1: torch.Tensor,
    v1: torch.Tensor | None,
    w2: torch.Tensor,
    alpha: float,
    beta: float,
    scale: float,
):
    """Readout [T, B, O], spike counts per hidden neuron [H] and hidden spikes [T, B, H].

    Same values and gradients as the reference, including the gradient to ``x`` when it
    requires one; the spikes come without gradient (the loss reaches them through the readout
    and the counts).
    """
    kernel = _readout_kernel(x.shape[0], float(alpha), float(beta), w2.dtype).to(w2.device)
    inputs = InputSpikes(x.detach())
    return _Network.apply(w1, v1, w2, x, inputs, kernel, float(alpha), float(beta), float(scale))


@lru_cache(maxsize=32)
def _readout_kernel(steps: int, alpha: float, beta: float, dtype: torch.dtype) -> torch.Tensor:
    """K [T, T] with readout[t] = sum_s K[t, s] h2[s]: the reference readout of impulses."""
    eye = torch.eye(steps, dtype=dtype)[:, :, None]  # impulse at step s, batch index s
    return readout_reference(eye, torch.ones(1, 1, dtype=dtype), alpha, beta)[:, :, 0]
