"""The conv suite's networks: one 4-layer conv SNN written as each library's tutorials write it.

32c3-32c3-pool-64c3-64c3-pool, each conv ``conv (no bias) -> batch norm -> LIF`` (beta 0.5,
threshold 1, soft reset), the maps averaged to 2x2 and read out by one linear layer; a 28x28x1
image is the constant input current at each of T steps (direct encoding) and the loss is the
cross-entropy of the time-averaged readout. Every implementation starts from SpikeLab's
initial weights (``ConvProblem.net``) and trains the same batch. A builder takes the problem
and whether to run "matched" (SpikeLab's channels_last layout and precision) and returns a
``core.bench.workload.Step``; a library that does not import is reported missing by the suite.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from core.bench.workload import Step, adam_step
from core.nas.model import ConvNet, NeuronConfig
from core.nas.space import Architecture

LAYERS = ((32, 3), (32, 3), (64, 3), (64, 3))
POOL_AFTER = (1, 3)
BETA, THRESHOLD, SLOPE = 0.5, 1.0, 5.0


@dataclass(frozen=True)
class ConvProblem:
    """The shared batch, SpikeLab's initial network and the precision "matched" runs use."""

    x: torch.Tensor  # [B, 1, 28, 28]
    y: torch.Tensor  # [B]
    net: ConvNet
    steps: int
    mode: str  # SpikeLab's conv mode ("bf16" or "fp32"): matched peers run the same


def make_conv_problem(batch: int, steps: int, mode: str, seed: int = 0) -> ConvProblem:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    arch = Architecture("snn", LAYERS, "LIF", "soft")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = ConvNet(arch, 1, 10, POOL_AFTER, NeuronConfig(steps, BETA, THRESHOLD, SLOPE))
    return ConvProblem(x, y, net, steps, mode)


@contextlib.contextmanager
def precision(problem: ConvProblem, matched: bool) -> Iterator[None]:
    """bfloat16 autocast when matched and SpikeLab runs bfloat16; float32 otherwise."""
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=matched and problem.mode == "bf16"):
        yield


def layout(module: nn.Module, x: torch.Tensor, matched: bool) -> torch.Tensor:
    """channels_last module and input when matched (SpikeLab's layout)."""
    if not matched:
        return x
    module.to(memory_format=torch.channels_last)
    return x.contiguous(memory_format=torch.channels_last)


def copy_weights(problem: ConvProblem, convs, norms, head, gain: float = 1.0) -> None:
    """SpikeLab's initial weights into a peer's layers (batch-norm affine scaled by ``gain``)."""
    net = problem.net
    with torch.no_grad():
        for src, dst in zip(net.convs, convs, strict=True):
            dst.weight.copy_(src.weight)
        for src, dst in zip(net.norms, norms, strict=True):
            dst.weight.copy_(src.weight * gain)
            dst.bias.copy_(src.bias * gain)
        head.weight.copy_(net.head.weight)
        head.bias.copy_(net.head.bias)


def layers(problem: ConvProblem, layer=nn, gain: float = 1.0
           ) -> tuple[list[nn.Module], list[nn.Module], nn.Linear]:
    """The convs and batch norms (from ``layer``: ``torch.nn`` or a library's own) and the
    linear readout, holding SpikeLab's initial weights (batch-norm affine times ``gain``)."""
    chans = [1] + [f for f, _ in LAYERS]
    convs = [layer.Conv2d(a, b, k, padding=k // 2, bias=False)
             for a, b, (_, k) in zip(chans[:-1], chans[1:], LAYERS, strict=True)]
    norms = [layer.BatchNorm2d(c) for c in chans[1:]]
    head = nn.Linear(64 * 4, 10)
    copy_weights(problem, convs, norms, head, gain)
    return convs, norms, head


def readout(h: torch.Tensor, head: nn.Module) -> torch.Tensor:
    """Class scores of one step's maps: averaged to 2x2, flattened, the linear readout."""
    return head(F.adaptive_avg_pool2d(h, 2).flatten(1).float())


def train_step(problem: ConvProblem, modules: list[nn.Module], logits: Callable, matched: bool
               ) -> Step:
    """Cross-entropy of ``logits`` on the shared batch, backward and Adam over ``modules``."""
    holder = nn.ModuleList(modules)
    x = layout(holder, problem.x, matched)

    def loss() -> torch.Tensor:
        with precision(problem, matched):
            out = logits(x)
        return F.cross_entropy(out.float(), problem.y)

    return adam_step(list(holder.parameters()), loss)


def build_spikelab(problem: ConvProblem, mode: str) -> Step:
    """SpikeLab's ConvNet in ``mode`` (its layout and precision are its own)."""
    net = copy.deepcopy(problem.net)
    net.fast = mode
    return adam_step(list(net.parameters()), lambda: F.cross_entropy(net(problem.x)[0],
                                                                     problem.y))


def build_floor(problem: ConvProblem, matched: bool = False) -> Step:
    """The dense floor: the same convs with ReLU on the [T*B] batch (the image T times)."""
    convs, norms, head = layers(problem)
    steps, batch = problem.steps, problem.x.shape[0]

    def logits(x: torch.Tensor) -> torch.Tensor:
        h = x.repeat(steps, 1, 1, 1)
        for i, (conv, norm) in enumerate(zip(convs, norms, strict=True)):
            h = F.relu(norm(conv(h)))
            if i in POOL_AFTER:
                h = F.max_pool2d(h, 2)
        return readout(h, head).view(steps, batch, -1).mean(0)

    return train_step(problem, [*convs, *norms, head], logits, matched)
