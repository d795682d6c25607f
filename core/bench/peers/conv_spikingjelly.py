"""SpikingJelly 2.0's conv SNN, as its CSNN tutorial writes it: multi-step mode (``step_mode='m'``)
layers and ``LIFNode`` over [T, B, ...], the image repeated T times, ``functional.reset_net``
before each step. ``LIFNode(tau=2, decay_input=False, v_reset=None)`` is beta 0.5 with a soft
reset, but SpikingJelly resets in the same step (not delayed) and has no fast sigmoid: its
``SoftSign(alpha=5)`` has the same shape (slope 5, half the gain)."""

from __future__ import annotations

import torch
from spikingjelly.activation_based import functional, layer, neuron, surrogate
from torch import nn

from core.bench.peers import conv_nets as nets
from core.bench.workload import Step


def build(problem: nets.ConvProblem, matched: bool = False) -> Step:
    """SpikingJelly's multi-step CSNN on the shared batch (``matched``: SpikeLab's layout and
    precision)."""
    convs, norms, head = nets.layers(problem, layer)
    grad = surrogate.SoftSign(alpha=nets.SLOPE)
    body: list[nn.Module] = []
    for i, (conv, norm) in enumerate(zip(convs, norms, strict=True)):
        body += [conv, norm, neuron.LIFNode(tau=1.0 / (1.0 - nets.BETA), decay_input=False,
                                            v_threshold=nets.THRESHOLD, v_reset=None,
                                            surrogate_function=grad, detach_reset=True)]
        if i in nets.POOL_AFTER:
            body.append(layer.MaxPool2d(2))
    net = nn.Sequential(*body)
    functional.set_step_mode(net, "m")
    steps = problem.steps

    def logits(x: torch.Tensor) -> torch.Tensor:
        functional.reset_net(net)
        spikes = net(x.unsqueeze(0).repeat(steps, 1, 1, 1, 1))
        return nets.readout(spikes.flatten(0, 1), head).view(steps, x.shape[0], -1).mean(0)

    return nets.train_step(problem, [net, head], logits, matched)
