"""snnTorch 1.0's conv SNN, as its tutorials write it: ``snn.Leaky`` after each conv and batch
norm, a Python loop over T calling the layers step by step (batch norm sees each step's batch)."""

from __future__ import annotations

import snntorch as snn
import torch
from snntorch import surrogate
from torch.nn import functional as F

from core.bench.peers import conv_nets as nets
from core.bench.workload import Step


def build(problem: nets.ConvProblem, matched: bool = False) -> Step:
    """snnTorch's per-step conv SNN on the shared batch (``matched``: SpikeLab's layout and
    precision)."""
    convs, norms, head = nets.layers(problem)
    grad = surrogate.fast_sigmoid(slope=nets.SLOPE)
    lifs = [snn.Leaky(beta=nets.BETA, threshold=nets.THRESHOLD, spike_grad=grad,
                      reset_mechanism="subtract") for _ in convs]
    snn.SpikingNeuron.instances.clear()  # snnTorch keeps every neuron in a class-wide list

    def logits(x: torch.Tensor) -> torch.Tensor:
        mems = [lif.init_leaky() for lif in lifs]
        out = []
        for _ in range(problem.steps):
            h = x
            for i, (conv, norm, lif) in enumerate(zip(convs, norms, lifs, strict=True)):
                h, mems[i] = lif(norm(conv(h)), mems[i])
                if i in nets.POOL_AFTER:
                    h = F.max_pool2d(h, 2)
            out.append(nets.readout(h, head))
        return torch.stack(out).mean(0)

    return nets.train_step(problem, [*convs, *norms, head, *lifs], logits, matched)
