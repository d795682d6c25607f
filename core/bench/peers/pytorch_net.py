"""Plain PyTorch: SpyTorch tutorial 4's training loop (Zenke & Vogels 2021), batch first.

The tutorial's own surrogate (``SurrGradSpike``, fast sigmoid of slope 100), its einsums and
its two Python time loops, unchanged but for the loss (no spike regulariser: every
implementation of the suite trains the plain max-over-time NLL).
"""

from __future__ import annotations

import torch

from core.bench.workload import Problem, Step, adam_step, leaf, max_time_nll


class SurrGradSpike(torch.autograd.Function):
    """Heaviside forward, fast-sigmoid derivative backward (SpyTorch tutorial 2)."""

    scale = 100.0

    @staticmethod
    def forward(ctx, input):  # noqa: A002 - the tutorial's name
        ctx.save_for_backward(input)
        out = torch.zeros_like(input)
        out[input > 0] = 1.0
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output.clone() / (SurrGradSpike.scale * torch.abs(input) + 1.0) ** 2


def run_snn(inputs, w1, v1, w2, alpha: float, beta: float) -> torch.Tensor:
    """Readout membranes [B, T + 1, O] for inputs [B, T, N] (tutorial 4's ``run_snn``)."""
    batch, steps, _ = inputs.shape
    hidden = w1.shape[1]
    spike_fn = SurrGradSpike.apply
    h1_from_input = torch.einsum("abc,cd->abd", (inputs, w1))
    syn = torch.zeros((batch, hidden))
    mem = torch.zeros((batch, hidden))
    out = torch.zeros((batch, hidden))
    spk_rec = []
    for t in range(steps):
        h1 = h1_from_input[:, t] + torch.einsum("ab,bc->ac", (out, v1))
        mthr = mem - 1.0
        out = spike_fn(mthr)
        rst = out.detach()  # no backprop through the reset
        new_syn = alpha * syn + h1
        new_mem = (beta * mem + syn) * (1.0 - rst)
        spk_rec.append(out)
        mem, syn = new_mem, new_syn
    spk_rec = torch.stack(spk_rec, dim=1)
    h2 = torch.einsum("abc,cd->abd", (spk_rec, w2))
    flt = torch.zeros((batch, w2.shape[1]))
    out = torch.zeros((batch, w2.shape[1]))
    out_rec = [out]
    for t in range(steps):
        new_flt = alpha * flt + h2[:, t]
        new_out = beta * out + flt
        flt, out = new_flt, new_out
        out_rec.append(out)
    return torch.stack(out_rec, dim=1)


def build(problem: Problem) -> Step:
    """The tutorial's step on the shared batch (laid out batch first, as the tutorial's is)."""
    cfg = problem.cfg
    if cfg.scale != SurrGradSpike.scale:
        raise ValueError(f"The SpyTorch loop's surrogate slope is {SurrGradSpike.scale:g}.")
    inputs = problem.x.transpose(0, 1).contiguous()
    params = [leaf(problem.w1), leaf(problem.v1), leaf(problem.w2)]

    def loss():
        out_rec = run_snn(inputs, *params, cfg.alpha, cfg.beta)
        return max_time_nll(out_rec, problem.y, time_dim=1)

    return adam_step(params, loss)
