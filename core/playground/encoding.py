"""Spike codes for 2-D points: rate, latency (time to first spike) and population codes.

A coordinate x in [-1.2, 1.2] is first mapped to u in [0, 1]. Rate and latency codes use
on/off channel pairs (u and 1 - u) so that both ends of each axis drive some input; the
population code uses Gaussian receptive fields (Bohte et al. 2002) whose activations are spike
probabilities per step. Randomness comes from an explicit ``torch.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.checks import check_choice, check_probability, check_whole

ENCODINGS: tuple[str, ...] = ("rate", "latency", "population")


@dataclass(frozen=True)
class EncodingSpec:
    kind: str = "population"
    steps: int = 20
    max_rate: float = 0.6  # spike probability per step at u = 1 (rate code)
    fields: int = 6  # receptive fields per coordinate (population code)

    def __post_init__(self) -> None:
        check_choice("The encoding", self.kind, ENCODINGS)
        object.__setattr__(self, "steps", check_whole("The number of time steps", self.steps,
                                                      2, 200))
        check_probability("The maximum rate", self.max_rate, zero=False,
                          hint="a spike probability per step")
        object.__setattr__(self, "fields", check_whole("The number of receptive fields",
                                                       self.fields, 2, 32))

    @property
    def channels(self) -> int:
        return 2 * self.fields if self.kind == "population" else 4


def _unit(points: torch.Tensor) -> torch.Tensor:
    return ((points + 1.2) / 2.4).clamp(0.0, 1.0)


def _levels(points: torch.Tensor, spec: EncodingSpec) -> torch.Tensor:
    """Per-channel intensity in [0, 1], shape [batch, channels]."""
    u = _unit(points)
    if spec.kind == "population":
        centres = torch.linspace(0.0, 1.0, spec.fields, dtype=points.dtype)
        width = 0.75 / (spec.fields - 1)
        act = torch.exp(-0.5 * ((u[:, :, None] - centres) / width) ** 2)
        return act.reshape(points.shape[0], -1)
    return torch.stack([u[:, 0], 1 - u[:, 0], u[:, 1], 1 - u[:, 1]], dim=1)


def encode(points: torch.Tensor, spec: EncodingSpec, generator: torch.Generator) -> torch.Tensor:
    """Spike tensor [steps, batch, channels] for points [batch, 2]."""
    levels = _levels(points.float(), spec)
    if spec.kind == "latency":
        first = torch.round((1.0 - levels) * (spec.steps - 1)).long()
        t = torch.arange(spec.steps)[:, None, None]
        return ((t == first[None]) & (levels[None] > 0.05)).float()
    prob = levels * (spec.max_rate if spec.kind == "rate" else 1.0)
    shape = (spec.steps, *prob.shape)
    return (torch.rand(shape, generator=generator) < prob[None]).float()
