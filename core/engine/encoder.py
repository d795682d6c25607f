"""The fast engine's encoder layer: a current-based LIF time loop fused into one autograd op.

Braille's encoder (SpyTorch tutorial 5, ``core.training.model.encoder_spikes``) is the neuron
registry's "synaptic" model with a hard reset at threshold 1 and the fast-sigmoid surrogate,
run by the one time loop (``core.neurons.loop.run_model``, no input delay)::

    U[t] = (beta U[t-1] + I[t-1]) (1 - S[t-1]),   I[t] = alpha I[t-1] + c[t]
    S[t] = H(U[t] - 1),   dS[t]/dU[t] := 1 / (scale |U[t] - 1| + 1)^2

(U, I, S are zero before step 0). The reset carries no gradient, so going back in time::

    gU[t] = gS[t] / (scale |U[t] - 1| + 1)^2 + beta (1 - S[t]) gU[t+1]
    gc[t] = gI[t] = (1 - S[t]) gU[t+1] + alpha gI[t+1]

The generic loop builds an autograd graph of about ten nodes per step over [B, N] tensors;
here the forward is one compiled pass over all T steps and the backward one pass over reversed
T, each neuron's numbers in registers. Both do the generic loop's floating-point operations in
its order (every sum of the backward has two terms, and IEEE addition is commutative), so the
spikes, the membranes and the gradients are bit-identical to it in float32 and float64.
The membranes come without gradient (the network reads only the spikes).

Off the CPU (no compiled loop) ``encoder_layer`` runs the generic loop itself.
"""

from __future__ import annotations

from functools import partial

import numba
import numpy as np
import torch

from core.jit import jit, match_torch_threads
from core.neurons.loop import run_model
from core.neurons.registry import make_params
from core.neurons.surrogate import fast_sigmoid_spike

#: Neurons a thread takes at a time: their state stays in small scratch arrays through the
#: time loop, and the loop over them (from index 0, over slices) vectorises.
BLOCK = 2048
_PASS = {"parallel": True, "error_model": "numpy"}


@jit(**_PASS)
def synaptic_forward(cur, alpha, beta, mems, spikes):
    """Membranes and spikes [T, n] of the hard-reset synaptic neuron for currents cur [T, n]."""
    steps, n = cur.shape
    dtype = cur.dtype.type
    alpha, beta, one, zero = dtype(alpha), dtype(beta), dtype(1.0), dtype(0.0)
    for block in numba.prange(-(-n // BLOCK)):
        lo = block * BLOCK
        size = min(n, lo + BLOCK) - lo
        mem = np.zeros(size, dtype=cur.dtype)
        syn = np.zeros(size, dtype=cur.dtype)
        spk = np.zeros(size, dtype=cur.dtype)
        for t in range(steps):
            c, m_out, s_out = cur[t, lo:lo + size], mems[t, lo:lo + size], spikes[t, lo:lo + size]
            for j in range(size):
                drive = beta * mem[j] + syn[j]
                m = drive * (one - spk[j])
                syn[j] = alpha * syn[j] + c[j]
                s = one if m - one > zero else zero
                mem[j], spk[j] = m, s
                m_out[j], s_out[j] = m, s


@jit(**_PASS)
def synaptic_backward(grad_s, mems, spikes, alpha, beta, scale, grad_c):
    """dL/dc [T, n] from dL/dS [T, n], the membranes and spikes of ``synaptic_forward``."""
    steps, n = mems.shape
    dtype = mems.dtype.type
    alpha, beta, scale = dtype(alpha), dtype(beta), dtype(scale)
    one = dtype(1.0)
    for block in numba.prange(-(-n // BLOCK)):
        lo = block * BLOCK
        size = min(n, lo + BLOCK) - lo
        g_drive = np.zeros(size, dtype=mems.dtype)  # gU[t+1] (1 - S[t]), the drive's gradient
        g_syn = np.zeros(size, dtype=mems.dtype)  # gI[t+1]
        none = np.zeros(size, dtype=mems.dtype)  # S[-1]
        for t in range(steps - 1, -1, -1):
            g_s, m, g_c = grad_s[t, lo:lo + size], mems[t, lo:lo + size], grad_c[t, lo:lo + size]
            before = spikes[t - 1, lo:lo + size] if t > 0 else none
            for j in range(size):
                slope = scale * abs(m[j] - one) + one
                g_mem = g_s[j] / (slope * slope) + beta * g_drive[j]
                g_in = g_drive[j] + alpha * g_syn[j]
                g_c[j], g_syn[j] = g_in, g_in
                g_drive[j] = g_mem * (one - before[j])


class _SynapticLoop(torch.autograd.Function):
    """Spikes and membranes [T, ...] of the hard-reset synaptic layer, in compiled loops."""

    @staticmethod
    def forward(ctx, currents, alpha, beta, scale):  # type: ignore[override]
        match_torch_threads()
        cur = currents.detach().contiguous()
        mems, spikes = torch.empty_like(cur), torch.empty_like(cur)
        synaptic_forward(_flat(cur), alpha, beta, _flat(mems), _flat(spikes))
        ctx.save_for_backward(mems, spikes)
        ctx.coeffs = (alpha, beta, scale)
        ctx.mark_non_differentiable(mems)
        ctx.set_materialize_grads(False)  # no [T, ...] of zeros for the membranes' gradient
        return spikes, mems

    @staticmethod
    def backward(ctx, grad_spikes, _grad_mems):  # type: ignore[override]
        if grad_spikes is None:
            return None, None, None, None
        mems, spikes = ctx.saved_tensors
        match_torch_threads()
        grad_c = torch.empty_like(mems)
        synaptic_backward(_flat(grad_spikes), _flat(mems), _flat(spikes), *ctx.coeffs,
                          _flat(grad_c))
        return grad_c, None, None, None


def _flat(x: torch.Tensor) -> np.ndarray:
    """A [T, n] NumPy view of a [T, ...] CPU tensor (made contiguous first)."""
    return x.detach().contiguous().reshape(x.shape[0], -1).numpy()


def compiled_available(currents: torch.Tensor) -> bool:
    """Whether the compiled loops can run on ``currents``: a float32 or float64 CPU tensor."""
    return currents.device.type == "cpu" and currents.dtype in (torch.float32, torch.float64)


def encoder_layer(
    currents: torch.Tensor, alpha: float, beta: float, scale: float, compiled: bool | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes and membranes [T, ...] of the hard-reset synaptic neuron (threshold 1) driven by
    ``currents`` [T, ...], gradients to ``currents`` through the fast sigmoid of ``scale``.

    ``compiled``: this module's fused loops (default where ``compiled_available``) or the
    generic loop; the two are bit-identical (the fused membranes carry no gradient).
    """
    if not scale > 0:
        raise ValueError(f"The surrogate scale must be greater than 0 (got {scale}).")
    if compiled is None:
        compiled = compiled_available(currents)
    if compiled:
        return _SynapticLoop.apply(currents, float(alpha), float(beta), float(scale))
    neuron = make_params("synaptic", alpha=alpha, beta=beta, threshold=1.0, reset="hard")
    trace = run_model("synaptic", neuron, currents,
                      spike_fn=partial(fast_sigmoid_spike, scale=scale), record=("mem",))
    return trace.spikes, trace.traces["mem"]
