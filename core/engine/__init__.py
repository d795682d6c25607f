"""Training engines for the SpyTorch network: ``reference`` and ``fast`` compute the same thing.

``forward(engine, x, weights, ...)`` returns the readout membrane [T, B, O] and the hidden
spikes [T, B, H]; ``spytorch_loss`` turns them into the training loss. Both engines give the
same values and gradients (tested in float64); ``fast`` is the default.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from core.engine.fast import hidden_fast, readout_fast
from core.engine.reference import hidden_reference, readout_reference

ENGINES: tuple[str, ...] = ("fast", "reference")


class Weights(NamedTuple):
    w1: torch.Tensor  # [inputs, hidden]
    v1: torch.Tensor | None  # [hidden, hidden] recurrent, or None
    w2: torch.Tensor  # [hidden, outputs]


def forward(
    engine: str, x: torch.Tensor, weights: Weights, alpha: float, beta: float, scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Readout membrane [T, B, O] and hidden spikes [T, B, H] for input spikes [T, B, N]."""
    if engine == "fast":
        spikes = hidden_fast(x, weights.w1, weights.v1, alpha, beta, scale)
        return readout_fast(spikes, weights.w2, alpha, beta), spikes
    if engine == "reference":
        spikes, _ = hidden_reference(x, weights.w1, weights.v1, alpha, beta, scale)
        return readout_reference(spikes, weights.w2, alpha, beta), spikes
    raise ValueError(f"The engine must be one of {', '.join(ENGINES)} (got {engine!r}).")


def spytorch_loss(
    readout: torch.Tensor,
    spikes: torch.Tensor,
    labels: torch.Tensor,
    reg: float = 0.0,
    reg_quadratic: float = 0.0,
) -> torch.Tensor:
    """Max-over-time readout -> log-softmax -> NLL, plus reg * total spikes (thesis eq. 16-17)
    and, optionally, SpyTorch's per-neuron term reg_quadratic * mean_j (sum_{b,t} S_j)^2."""
    logits = readout.max(dim=0).values
    loss = F.nll_loss(F.log_softmax(logits, dim=1), labels)
    if reg:
        loss = loss + reg * spikes.sum()
    if reg_quadratic:
        loss = loss + reg_quadratic * spikes.sum(dim=(0, 1)).pow(2).mean()
    return loss
