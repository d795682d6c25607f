"""The dense-GEMM floor of the peers workload: the step's matrix multiplies alone.

The input, recurrent and readout projections and their gradients, as dense float32 GEMMs on
the workload's shapes, with no neuron, no loss and no update: no implementation of the SHD
network's step can do less dense work, so ``ours / floor`` says how far SpikeLab is from it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from core.bench.workload import Problem


def build(problem: Problem) -> Callable[[], None]:
    """One pass of the step's GEMMs (forward and backward) on the problem's shapes."""
    cfg = problem.cfg
    t_b = cfg.steps * cfg.batch
    flat = problem.x.reshape(t_b, cfg.inputs)
    w1, v1, w2 = problem.w1, problem.v1, problem.w2
    gen = torch.Generator().manual_seed(cfg.seed)
    s = torch.rand(cfg.steps, cfg.batch, cfg.hidden, generator=gen)
    g_h = torch.rand(t_b, cfg.hidden, generator=gen)
    g_out = torch.rand(t_b, cfg.outputs, generator=gen)

    def step() -> None:
        flat @ w1
        for t in range(cfg.steps):
            s[t] @ v1
        s.reshape(t_b, cfg.hidden) @ w2
        flat.T @ g_h
        s.reshape(t_b, cfg.hidden).T @ g_h
        for t in range(cfg.steps):
            g_h[t * cfg.batch : (t + 1) * cfg.batch] @ v1.T
        s.reshape(t_b, cfg.hidden).T @ g_out
        g_out @ w2.T

    return step
