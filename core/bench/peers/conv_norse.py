"""Norse 1.1's conv SNN, as its tutorials write it: ``SequentialState`` of conv, batch norm and
``LIFBoxCell`` (a LIF without synaptic current) called once per time step with its state.
Norse integrates with Euler steps, ``v += dt tau_mem_inv (v_leak - v + i)``: with
``tau_mem_inv = (1 - beta) / dt`` the membrane decays by beta but takes (1 - beta) of the
current, so the batch norms' scale and shift are SpikeLab's times 1 / (1 - beta) (the same
drive). Norse resets to zero in the same step (hard, not delayed); its SuperSpike surrogate."""

from __future__ import annotations

import torch
from norse.torch import LIFBoxCell, LIFBoxParameters, SequentialState
from torch import nn

from core.bench.peers import conv_nets as nets
from core.bench.workload import Step

DT = 1e-3


def build(problem: nets.ConvProblem, matched: bool = False) -> Step:
    """Norse's per-step conv SNN on the shared batch (``matched``: SpikeLab's layout and
    precision)."""
    convs, norms, head = nets.layers(problem, gain=1.0 / (1.0 - nets.BETA))
    p = LIFBoxParameters(tau_mem_inv=torch.as_tensor((1.0 - nets.BETA) / DT),
                         v_th=torch.as_tensor(nets.THRESHOLD), method="super",
                         alpha=torch.as_tensor(nets.SLOPE))
    body: list[nn.Module] = []
    for i, (conv, norm) in enumerate(zip(convs, norms, strict=True)):
        body += [conv, norm, LIFBoxCell(p, dt=DT)]
        if i in nets.POOL_AFTER:
            body.append(nn.MaxPool2d(2))
    net = SequentialState(*body)

    def logits(x: torch.Tensor) -> torch.Tensor:
        state, out = None, []
        for _ in range(problem.steps):
            spikes, state = net(x, state)
            out.append(nets.readout(spikes, head))
        return torch.stack(out).mean(0)

    return nets.train_step(problem, [net, head], logits, matched)
