"""Norse 1.1: ``SequentialState(LIFRecurrent, Linear, LI)``, Norse's SHD-style model.

Norse integrates with Euler steps: ``v += dt/tau_mem (v_leak - v + i)``. Setting
``tau_inv = (1 - decay) / dt`` gives the workload's decays exactly, but the membrane then takes
``(1 - beta)`` of the current, so the input, recurrent and readout weights are the shared ones
divided by ``1 - beta`` (the same drive). Norse 1.1's ``"super"`` surrogate ignores its
``alpha`` (slope 1).
"""

from __future__ import annotations

import torch
from norse.torch import LI, LIFParameters, LIFRecurrent, LIParameters, SequentialState
from torch import nn

from core.bench.workload import Problem, Step, adam_step, max_time_nll

DT = 1e-3


def model(problem: Problem) -> SequentialState:
    """The network with the shared weights (scaled for Norse's Euler form)."""
    cfg = problem.cfg
    gain = 1.0 / (1.0 - cfg.beta)
    tau_syn_inv = torch.as_tensor((1.0 - cfg.alpha) / DT)
    tau_mem_inv = torch.as_tensor((1.0 - cfg.beta) / DT)
    lif = LIFRecurrent(
        cfg.inputs, cfg.hidden,
        p=LIFParameters(tau_syn_inv=tau_syn_inv, tau_mem_inv=tau_mem_inv,
                        v_th=torch.as_tensor(1.0), v_reset=torch.as_tensor(0.0),
                        method="super", alpha=torch.as_tensor(cfg.scale)),
        input_weights=nn.Parameter(problem.w1.T * gain),
        recurrent_weights=nn.Parameter(problem.v1.T * gain),
        autapses=True,
        dt=DT,
    )
    readout = nn.Linear(cfg.hidden, cfg.outputs, bias=False)
    with torch.no_grad():
        readout.weight.copy_(problem.w2.T * gain)
    li = LI(p=LIParameters(tau_syn_inv=tau_syn_inv, tau_mem_inv=tau_mem_inv), dt=DT)
    return SequentialState(lif, readout, li)


def build(problem: Problem) -> Step:
    """The step: Norse loops over T inside each layer; the readout voltages [T, B, O]."""
    net = model(problem)
    x = problem.x

    def loss():
        voltages, _ = net(x)
        return max_time_nll(voltages, problem.y)

    return adam_step(list(net.parameters()), loss)
