"""Training engines for the SpyTorch network: ``reference`` and ``fast`` compute the same thing.

``forward(engine, x, weights, ...)`` returns the readout membrane [T, B, O], the spike count
of each hidden neuron and the hidden spikes; ``spytorch_loss`` turns them into the training
loss. Both engines give the same values and gradients (tested in float64); ``fast`` is the
default. The hidden layer's neuron is any trainable model of the neuron registry on the
reference engine; the fast engine's fused kernel accelerates the models in ``FAST_NEURONS``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from core.engine.fast import network_fast
from core.engine.reference import hidden_reference, readout_reference

ENGINES: tuple[str, ...] = ("fast", "reference")
FAST_NEURONS: tuple[str, ...] = ("synaptic",)  # the models the fast engine's kernel computes


class Weights(NamedTuple):
    w1: torch.Tensor  # [inputs, hidden]
    v1: torch.Tensor | None  # [hidden, hidden] recurrent, or None
    w2: torch.Tensor  # [hidden, outputs]


class Output(NamedTuple):
    readout: torch.Tensor  # [T, B, O] readout membrane
    counts: torch.Tensor  # [H] spikes of each hidden neuron, summed over time and batch
    spikes: torch.Tensor  # [T, B, H] hidden spikes (no gradient from the fast engine)


def check_engine(engine: str, neuron: str) -> None:
    """ValueError (one sentence) unless ``engine`` exists and can train ``neuron``."""
    if engine not in ENGINES:
        raise ValueError(f"The engine must be one of {', '.join(ENGINES)} (got {engine!r}).")
    if engine == "fast" and neuron not in FAST_NEURONS:
        raise ValueError(f"The fast engine accelerates only the {', '.join(FAST_NEURONS)} "
                         f"neuron; train {neuron!r} on the reference engine.")


def engine_for(neuron: str, engine: str | None = None) -> str:
    """``engine`` when given (checked), else fast where it accelerates ``neuron``, else
    reference: the engine that trains ``neuron``."""
    if engine is None:
        return "fast" if neuron in FAST_NEURONS else "reference"
    check_engine(engine, neuron)
    return engine


def forward(
    engine: str,
    x: torch.Tensor,
    weights: Weights,
    alpha: float,
    beta: float,
    scale: float,
    neuron: str = "synaptic",
) -> Output:
    """Run the network on input spikes [T, B, N] (dense, or sparse COO for ``fast``)."""
    check_engine(engine, neuron)
    if engine == "fast":
        return Output(*network_fast(x, weights.w1, weights.v1, weights.w2, alpha, beta, scale))
    dense = x.to_dense() if x.is_sparse else x
    spikes, _ = hidden_reference(dense, weights.w1, weights.v1, alpha, beta, scale, neuron,
                                 record_mem=False)
    readout = readout_reference(spikes, weights.w2, alpha, beta)
    return Output(readout, spikes.sum(dim=(0, 1)), spikes)


def spytorch_loss(
    output: Output, labels: torch.Tensor, reg: float = 0.0, reg_quadratic: float = 0.0
) -> torch.Tensor:
    """Max-over-time readout -> log-softmax -> NLL, plus reg * total spikes (thesis eq. 16-17)
    and, optionally, SpyTorch's per-neuron term reg_quadratic * mean_j (sum_{b,t} S_j)^2."""
    logits = output.readout.max(dim=0).values
    loss = F.nll_loss(F.log_softmax(logits, dim=1), labels)
    if reg:
        loss = loss + reg * output.counts.sum()
    if reg_quadratic:
        loss = loss + reg_quadratic * output.counts.pow(2).mean()
    return loss
