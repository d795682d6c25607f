"""SpikingJelly 2.0: ``layer.Linear`` + ``neuron.CUBALIFNode`` (torch backend, single-step
mode, a ``layer.Linear`` recurrence in the step loop) and a readout of two
``neuron.NonSpikingLIFNode`` (synaptic current, then membrane, decoded by ``"max-mem"``).

SpikingJelly has no fast sigmoid of adjustable slope: ``SoftSign(alpha)`` has the derivative
``alpha / (2 (1 + alpha |x|)^2)``, the fast sigmoid of slope alpha times alpha / 2.
``NonSpikingLIFNode`` integrates ``v += (x - v) / tau``, so the readout weights are the shared
ones divided by ``(1 - alpha)(1 - beta)`` (the same drive).
"""

from __future__ import annotations

import torch
from spikingjelly.activation_based import functional, layer, neuron, surrogate
from torch import nn

from core.bench.workload import Problem, Step, adam_step

MAX_MEM = "max-mem"


class Network(nn.Module):
    """The SHD network in SpikingJelly's modules."""

    def __init__(self, problem: Problem) -> None:
        super().__init__()
        cfg = problem.cfg
        self.fc1 = layer.Linear(cfg.inputs, cfg.hidden, bias=False, step_mode="m")
        self.rec = layer.Linear(cfg.hidden, cfg.hidden, bias=False)
        self.lif = neuron.CUBALIFNode(c_decay=cfg.alpha, v_decay=cfg.beta, v_threshold=1.0,
                                      v_reset=0.0,
                                      surrogate_function=surrogate.SoftSign(alpha=cfg.scale))
        self.lif.detach_reset = True
        self.fc2 = layer.Linear(cfg.hidden, cfg.outputs, bias=False, step_mode="m")
        self.syn = neuron.NonSpikingLIFNode(tau=1.0 / (1.0 - cfg.alpha))
        self.mem = neuron.NonSpikingLIFNode(tau=1.0 / (1.0 - cfg.beta), decode=MAX_MEM)
        gain = 1.0 / ((1.0 - cfg.alpha) * (1.0 - cfg.beta))
        with torch.no_grad():
            self.fc1.weight.copy_(problem.w1.T)
            self.rec.weight.copy_(problem.v1.T)
            self.fc2.weight.copy_(problem.w2.T * gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores [B, O] (each readout's maximum over time) for input [T, B, N]."""
        h = self.fc1(x)
        spk = torch.zeros_like(h[0])
        spikes = []
        for t in range(h.shape[0]):
            spk = self.lif(h[t] + self.rec(spk))
            spikes.append(spk)
        currents = self.syn(self.fc2(torch.stack(spikes)))  # a list of [B, O] without decode
        return self.mem(torch.stack(currents))


def build(problem: Problem) -> Step:
    """The step: reset the network's state, run it, NLL of the max-over-time scores."""
    net = Network(problem)

    def loss():
        functional.reset_net(net)
        scores = net(problem.x)
        return torch.nn.functional.nll_loss(torch.log_softmax(scores, dim=1), problem.y)

    return adam_step(list(net.parameters()), loss)
