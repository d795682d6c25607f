"""The implementations the peers suite times, one module per library.

Each module's builder takes a ``core.bench.workload.Problem`` and returns a
``core.bench.workload.Step``: one full training step (forward over T, max-over-time NLL,
backward, Adam) written the way that library's tutorials write the SHD network. A library that
is not installed (or fails to import) is reported as missing by ``load``, never dropped.
These builders are the only ones: the default (training) suite, the peers suite, the scaling
suite and the peak-memory child all build their steps here (``spikelab_net.build_fast_dense``,
the fast engine given a dense batch, is the training suite's alone); ``floor`` is the
dense-GEMM floor, and ``conv_*`` the conv suite's network in each library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.bench.workload import Problem, Step


@dataclass(frozen=True)
class Peer:
    """One implementation: its name in the JSON, a label, its builder and what it cannot match."""

    name: str
    label: str
    builder: str  # "module:function"
    identical: bool  # the same maths as SpikeLab's reference: its step-1 loss must agree
    notes: str


PEERS: tuple[Peer, ...] = (
    Peer("spikelab_fast", "SpikeLab fast", "core.bench.peers.spikelab_net:build_fast", True,
         "the fast engine, given the batch in sparse event form"),
    Peer("spikelab_reference", "SpikeLab reference", "core.bench.peers.spikelab_net:"
         "build_reference", True, "the reference loop (one autograd op per step)"),
    Peer("norse", "Norse 1.1 (LIFRecurrent + LI)", "core.bench.peers.norse_net:build", False,
         "Euler form: decays matched (tau_inv = (1 - decay)/dt), but the membrane takes "
         "(1 - beta) of the current, so the weights are scaled by 1/(1 - beta); current and "
         "membrane update in the same step (no one-step delay); Norse 1.1's SuperSpike "
         "surrogate ignores its alpha: slope 1, not 100"),
    Peer("snntorch", "snnTorch 1.0 (RSynaptic loop)", "core.bench.peers.snntorch_net:build",
         False, "fast_sigmoid(slope=100) matches; current and membrane update in the same "
         "step (no one-step delay); the recurrent nn.Linear carries a bias (starts at 0, "
         "trained); readout: a Synaptic layer that never fires"),
    Peer("spikingjelly", "SpikingJelly 2.0 (CUBALIFNode, torch backend)",
         "core.bench.peers.spikingjelly_net:build", False,
         "no fast sigmoid of adjustable slope: SoftSign(alpha=100) has its shape and slope, "
         "50x its gain; current and membrane update in the same step; readout: two "
         "NonSpikingLIFNode (they take x/tau, so the readout weights are scaled by "
         "1/((1 - alpha)(1 - beta))); recurrence by a Linear in the step loop "
         "(LinearRecurrentContainer would add an [H, H] multiply per step)"),
    Peer("pytorch", "plain PyTorch (SpyTorch tutorial loop)", "core.bench.peers.pytorch_net:build",
         True, "SpyTorch tutorial 4's loop: the same maths as SpikeLab's reference"),
)
BY_NAME: dict[str, Peer] = {peer.name: peer for peer in PEERS}
#: The implementations whose time is compared with SpikeLab's (not SpikeLab's own).
OTHERS: tuple[str, ...] = tuple(p.name for p in PEERS if not p.name.startswith("spikelab"))


def import_builder(spec: str) -> Callable[..., Any]:
    """``"module:function"`` -> the function; ImportError when its library is missing."""
    module, function = spec.split(":")
    return getattr(importlib.import_module(module), function)


def load(name: str) -> Callable[[Problem], Step]:
    """The builder of implementation ``name``; ImportError when its library is missing."""
    return import_builder(BY_NAME[name].builder)


def import_error(loader: Callable[[str], object], key: str) -> str | None:
    """Why ``loader(key)`` cannot import its library here, or None when it can."""
    try:
        loader(key)
    except ImportError as exc:
        return str(exc)
    return None


def missing_reason(name: str) -> str | None:
    """Why ``name`` cannot run here (its library does not import), or None."""
    return import_error(load, name)
