"""The SpyTorch network, written as its tutorials write it: one autograd op per step.

Zenke & Vogels (2021), SpyTorch tutorials 2 and 4. Hidden current-based LIF layer, optionally
recurrent, with the reset detached from the graph::

    h[t]   = x[t] W + S[t-1] V
    S[t]   = spike(U[t] - 1)
    I[t+1] = alpha I[t] + h[t]
    U[t+1] = (beta U[t] + I[t]) (1 - S[t])

and a leaky non-spiking readout ``flt[t+1] = alpha flt[t] + S[t] W2``,
``out[t+1] = beta out[t] + flt[t]``. This is the formulation every faster engine is checked
against (``--engine reference``).
"""

from __future__ import annotations

import torch

from core.neurons.surrogate import fast_sigmoid_spike


def hidden_reference(
    x: torch.Tensor,
    w1: torch.Tensor,
    v1: torch.Tensor | None,
    alpha: float,
    beta: float,
    scale: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes and membrane [T, B, H] of the hidden layer for input [T, B, N]."""
    h_in = torch.einsum("tbn,nh->tbh", x, w1)
    syn = torch.zeros_like(h_in[0])
    mem = torch.zeros_like(h_in[0])
    out = torch.zeros_like(h_in[0])
    spk_rec, mem_rec = [], []
    for t in range(x.shape[0]):
        h = h_in[t] + out @ v1 if v1 is not None else h_in[t]
        out = fast_sigmoid_spike(mem - 1.0, scale)
        rst = out.detach()
        new_syn = alpha * syn + h
        new_mem = (beta * mem + syn) * (1.0 - rst)
        spk_rec.append(out)
        mem_rec.append(mem)
        mem, syn = new_mem, new_syn
    return torch.stack(spk_rec), torch.stack(mem_rec)


def readout_reference(
    spikes: torch.Tensor, w2: torch.Tensor, alpha: float, beta: float
) -> torch.Tensor:
    """Readout membrane [T, B, O] (the value after each step) for hidden spikes [T, B, H]."""
    h2 = torch.einsum("tbh,ho->tbo", spikes, w2)
    flt = torch.zeros_like(h2[0])
    out = torch.zeros_like(h2[0])
    out_rec = []
    for t in range(spikes.shape[0]):
        new_flt = alpha * flt + h2[t]
        out = beta * out + flt
        flt = new_flt
        out_rec.append(out)
    return torch.stack(out_rec)
