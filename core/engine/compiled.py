"""The fast engine on the CPU: the network's forward and backward passes as compiled loops.

Same inputs, outputs, values and gradients as ``core.engine.fast._Network`` (which runs the
same maths as PyTorch operations and serves the other devices); the loops are the Numba
kernels of ``core.engine.kernels``. What stays with PyTorch: dense products (the input
projection of dense input, its weight and input gradients, the per-step recurrent GEMM of the
backward pass) and the readout's T x T causal kernel.
"""

from __future__ import annotations

import torch

from core.engine import kernels
from core.engine.encoder import encoder_layer
from core.engine.sparse import InputSpikes
from core.heap import retain_freed_memory
from core.jit import match_torch_threads

retain_freed_memory()


def _np(x: torch.Tensor):
    """A NumPy view of a CPU tensor (made contiguous first)."""
    return x.detach().contiguous().numpy()


class CompiledNetwork(torch.autograd.Function):
    """Hidden LIF layer and leaky readout; forward and backward through the compiled loops."""

    @staticmethod
    def forward(ctx, w1, v1, w2, x, inputs, kernel, alpha, beta, scale):  # type: ignore[override]
        threads = match_torch_threads()
        steps, batch, _ = inputs.shape
        hidden, dtype = w1.shape[1], w1.dtype
        ctx.events = crow, cols, vals = inputs.csr(dtype)
        h_in = w1.new_empty(0, 0, 0) if inputs.dense is None else inputs.project(w1)
        mems = w1.new_empty(steps, batch, hidden)
        spikes = torch.empty_like(mems)
        h2 = w1.new_zeros(steps, batch, w2.shape[1])
        small = torch.int16 if hidden <= torch.iinfo(torch.int16).max else torch.int32
        fired = torch.empty(steps, batch, hidden, dtype=small)  # spiking neurons ...
        n_fired = torch.empty(steps, batch, dtype=torch.int32)  # ... and their number
        counts = w1.new_zeros(threads, hidden)  # spikes per neuron, a partial sum per thread
        kernels.forward_loop(_np(h_in), _np(crow), _np(cols), _np(vals), _np(w1),
                             _np(w1.new_empty(0, 0) if v1 is None else v1), _np(w2), alpha, beta,
                             mems.numpy(), spikes.numpy(), h2.numpy(), fired.numpy(),
                             n_fired.numpy(), counts.numpy())
        ctx.fired = fired, n_fired
        readout = (kernel @ h2.reshape(steps, -1)).reshape(steps, batch, -1)
        ctx.save_for_backward(mems, spikes, v1, w2, kernel, w1)
        ctx.inputs = inputs
        ctx.coeffs = (alpha, beta, scale)
        ctx.mark_non_differentiable(spikes)
        ctx.set_materialize_grads(False)  # no [T, B, H] of zeros for the spikes' gradient
        return readout, counts.sum(0), spikes

    @staticmethod
    def backward(ctx, grad_readout, grad_counts, _grad_spikes):  # type: ignore[override]
        mems, spikes, v1, w2, kernel, w1 = ctx.saved_tensors
        steps, batch, hidden = mems.shape
        threads = match_torch_threads()
        if grad_readout is None:
            grad_readout = mems.new_zeros(steps, batch, w2.shape[1])
        grad_h2 = (kernel.T @ grad_readout.reshape(steps, -1)).reshape(steps, batch, -1)
        if grad_counts is None:
            grad_counts = mems.new_zeros(hidden)
        # the weight gradients, one partial sum per thread (gW1 of dense input: one GEMM)
        events = ctx.inputs.dense is None
        partials = (mems.new_zeros((threads, *w1.shape) if events else (0, 0, 0)),
                    mems.new_zeros((threads, hidden, hidden) if v1 is not None else (0, 0, 0)),
                    mems.new_zeros(threads, *w2.shape))
        grad_i = _backward_loop(mems, spikes, grad_h2, w2, grad_counts, v1, ctx, partials)
        grad_w1 = partials[0].sum(0) if events else ctx.inputs.weight_grad(grad_i[1:])
        grad_v = partials[1].sum(0) if v1 is not None else None
        grad_x = None
        if ctx.needs_input_grad[3]:  # a trainable layer in front (e.g. Braille's encoder)
            grad_h = grad_i[1:]  # gh[t] = gI[t+1]
            grad_x = (grad_h.reshape(-1, hidden) @ w1.T).reshape(ctx.inputs.shape)
        return grad_w1, grad_v, partials[2].sum(0), grad_x, None, None, None, None, None


def _backward_loop(mems, spikes, grad_h2, w2, grad_counts, v1, ctx, partials) -> torch.Tensor:
    """gI [T + 1, B, H] (gI[0] unset): the compiled steps, with the recurrent GEMM between;
    they add the weight gradients into ``partials``."""
    steps, batch, hidden = mems.shape
    grad_i = mems.new_empty(steps + 1, batch, hidden)
    grad_i[steps] = 0.0
    grad_u = mems.new_zeros(batch, hidden)
    # dL/dS[t] from the readout: one multiply for all steps (the kernel adds the counts' term)
    grad_s = grad_h2.reshape(-1, grad_h2.shape[-1]) @ w2.T
    arrays = (_np(grad_counts), mems.numpy(), spikes.numpy(), grad_u.numpy(), grad_i.numpy(),
              ctx.coeffs, tuple(_np(a) for a in ctx.events), tuple(a.numpy() for a in ctx.fired),
              _np(grad_h2), tuple(a.numpy() for a in partials))
    grad_s, no_rec = grad_s.reshape(mems.shape).numpy(), mems.new_empty(0, 0).numpy()
    if v1 is None:  # no recurrence: every step in one call
        kernels.backward_steps(steps - 1, 1, grad_s, no_rec, *arrays)
        return grad_i
    kernels.backward_steps(steps - 1, max(steps - 2, 1), grad_s, no_rec, *arrays)  # gI[t+2] = 0
    rec, v1_t = mems.new_empty(batch, hidden), v1.T
    for t in range(steps - 3, 0, -1):  # dL/dS[t] += gh[t+1] V^T, gh[t+1] = gI[t+2]
        torch.mm(grad_i[t + 2], v1_t, out=rec)
        kernels.backward_steps(t, t, grad_s, rec.numpy(), *arrays)
    return grad_i


def warm_up() -> None:
    """Compile (or load from Numba's on-disk cache) the loops for float32 and float64 (the
    network's and the encoder layer's).

    The first compile takes several seconds; ``make install`` calls this so that a user's
    first training step does not wait for it.
    """
    for dtype in (torch.float32, torch.float64):
        x = torch.zeros(3, 2, 4, dtype=dtype)
        x[0, :, 0] = 1.0
        w1, v1, w2 = (torch.ones(*shape, dtype=dtype, requires_grad=True)
                      for shape in ((4, 16), (16, 16), (16, 2)))
        kernel = torch.eye(3, dtype=dtype)
        for inputs in (x.to_sparse(), x.clone().fill_(1.0)):  # event and dense input
            readout, counts, _ = CompiledNetwork.apply(
                w1, v1, w2, inputs, InputSpikes(inputs), kernel, 0.5, 0.5, 10.0)
            (readout.sum() + counts.sum()).backward()
        currents = torch.ones(3, 2, 4, dtype=dtype, requires_grad=True)  # the encoder's loops
        encoder_layer(currents, 0.0, 0.5, 10.0, compiled=True)[0].sum().backward()
