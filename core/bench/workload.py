"""The workload every implementation of the peers suite trains: the SpyTorch SHD network.

700 sparse input channels (2 % of the input bits set), 200 recurrent current-based LIF
neurons (hard reset to 0 at threshold 1, fast-sigmoid surrogate of slope 100), 20 leaky
non-spiking readouts, T = 100 steps; the loss is the negative log-likelihood of the readouts'
maximum over time, and a step is forward, backward and one Adam update (SpyTorch's
learning rate 2e-4). All implementations start from the same data and the same weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

#: SpyTorch tutorial 4's learning rate (Adam, betas 0.9 and 0.999).
LEARNING_RATE = 2e-4


@dataclass(frozen=True)
class PeerConfig:
    """Shapes and constants of the workload (defaults: SpyTorch tutorial 4 on SHD)."""

    batch: int = 256
    steps: int = 100
    inputs: int = 700
    hidden: int = 200
    outputs: int = 20
    density: float = 0.02
    alpha: float = math.exp(-1e-3 / 10e-3)  # synaptic decay, tau_syn = 10 ms at dt = 1 ms
    beta: float = math.exp(-1e-3 / 20e-3)  # membrane decay, tau_mem = 20 ms
    scale: float = 100.0  # slope of the fast-sigmoid surrogate
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("batch", "steps", "inputs", "hidden", "outputs"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be at least 1 (got {getattr(self, name)}).")
        if not 0 < self.density <= 1:
            raise ValueError(f"--density must lie in (0, 1] (got {self.density}).")


@dataclass(frozen=True)
class Problem:
    """One batch and one set of initial weights, shared by every implementation."""

    cfg: PeerConfig
    x: torch.Tensor  # [T, B, N] 0/1 float input spikes (dense)
    x_sparse: torch.Tensor  # the same, as a coalesced sparse COO tensor (the data sets' form)
    y: torch.Tensor  # [B] class labels
    w1: torch.Tensor  # [N, H] input weights
    v1: torch.Tensor  # [H, H] recurrent weights
    w2: torch.Tensor  # [H, O] readout weights


def make_problem(cfg: PeerConfig) -> Problem:
    """Random input spikes of the configured density, labels and SpyTorch-scaled weights."""
    gen = torch.Generator().manual_seed(cfg.seed)
    x = (torch.rand(cfg.steps, cfg.batch, cfg.inputs, generator=gen) < cfg.density).float()
    y = torch.randint(cfg.outputs, (cfg.batch,), generator=gen)
    w1 = torch.randn(cfg.inputs, cfg.hidden, generator=gen) * 0.2 / cfg.inputs**0.5
    v1 = torch.randn(cfg.hidden, cfg.hidden, generator=gen) * 0.2 / cfg.hidden**0.5
    w2 = torch.randn(cfg.hidden, cfg.outputs, generator=gen) / cfg.hidden**0.5
    return Problem(cfg, x, x.to_sparse().coalesce(), y, w1, v1, w2)


def max_time_nll(readout: torch.Tensor, labels: torch.Tensor, time_dim: int = 0) -> torch.Tensor:
    """The loss: NLL of the log-softmax of each readout's maximum over time."""
    return F.nll_loss(F.log_softmax(readout.max(dim=time_dim).values, dim=1), labels)


@dataclass
class Step:
    """One training step of one implementation: ``step()`` returns the loss before the update."""

    run: Callable[[], torch.Tensor]
    params: list[torch.Tensor]

    def __call__(self) -> float:
        return float(self.run())


def adam_step(params: list[torch.Tensor], loss_fn: Callable[[], torch.Tensor]) -> Step:
    """Forward (``loss_fn``), backward and one Adam update of ``params``, as one ``Step``."""
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE, betas=(0.9, 0.999))

    def run() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        return loss.detach()

    return Step(run, params)


def leaf(weight: torch.Tensor) -> torch.Tensor:
    """A trainable copy of a shared weight."""
    return weight.detach().clone().requires_grad_()


#: The vector extensions that decide how fast the dense and element-wise kernels run.
CPU_FEATURES: tuple[str, ...] = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")


def _cpuinfo(key: str) -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), or ``"unknown"``."""
    return _cpuinfo("model name") or "unknown"


def cpu_features() -> list[str]:
    """Which of ``CPU_FEATURES`` the processor has (empty where ``/proc/cpuinfo`` is absent)."""
    flags = set((_cpuinfo("flags") or "").split())
    return [f for f in CPU_FEATURES if f in flags]
