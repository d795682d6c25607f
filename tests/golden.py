"""The SpyTorch network written out as its tutorials write it: the golden formulations that
the registry's time loop and the reference engine are pinned to, bit for bit."""

from __future__ import annotations

import torch

from core.neurons.surrogate import fast_sigmoid_spike


def spytorch_hidden(x, w1, v1, alpha, beta, scale):
    """Hidden layer of SpyTorch tutorials 2 and 4: spikes and membrane [T, B, H]."""
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


def spytorch_readout(spikes, w2, alpha, beta):
    """Leaky readout of SpyTorch tutorial 2: the membrane [T, B, O] after each step."""
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
