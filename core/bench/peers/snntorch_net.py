"""snnTorch 1.0: ``nn.Linear`` + ``snn.RSynaptic`` (recurrent) and a ``snn.Synaptic`` readout
that never fires, driven step by step as snnTorch's tutorials do."""

from __future__ import annotations

import snntorch as snn
import torch
from snntorch import surrogate
from torch import nn

from core.bench.workload import Problem, Step, adam_step, max_time_nll


def _layers(problem: Problem) -> tuple[nn.Linear, snn.RSynaptic, nn.Linear, snn.Synaptic]:
    cfg = problem.cfg
    fc1 = nn.Linear(cfg.inputs, cfg.hidden, bias=False)
    fc2 = nn.Linear(cfg.hidden, cfg.outputs, bias=False)
    lif = snn.RSynaptic(cfg.alpha, cfg.beta, linear_features=cfg.hidden,
                        spike_grad=surrogate.fast_sigmoid(slope=cfg.scale),
                        reset_mechanism="zero")
    readout = snn.Synaptic(cfg.alpha, cfg.beta, threshold=1e9, reset_mechanism="none")
    with torch.no_grad():
        fc1.weight.copy_(problem.w1.T)
        lif.recurrent.weight.copy_(problem.v1.T)
        lif.recurrent.bias.zero_()
        fc2.weight.copy_(problem.w2.T)
    snn.SpikingNeuron.instances.clear()  # snnTorch keeps every neuron in a class-wide list
    return fc1, lif, fc2, readout


def build(problem: Problem) -> Step:
    """The step: a Python loop over T of Linear -> RSynaptic -> Linear -> Synaptic."""
    fc1, lif, fc2, readout = _layers(problem)
    x, steps = problem.x, problem.cfg.steps

    def loss():
        spk, syn, mem = lif.init_rsynaptic()
        syn2, mem2 = readout.init_synaptic()
        mem_rec = []
        for t in range(steps):
            spk, syn, mem = lif(fc1(x[t]), spk, syn, mem)
            _, syn2, mem2 = readout(fc2(spk), syn2, mem2)
            mem_rec.append(mem2)
        return max_time_nll(torch.stack(mem_rec), problem.y)

    modules = (fc1, lif, fc2, readout)
    return adam_step([p for m in modules for p in m.parameters()], loss)
