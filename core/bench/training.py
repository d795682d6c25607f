"""``python -m core bench`` (``--suite training``, the default): one training step of the
SpyTorch SHD network in five formulations, timed in one process.

1. ``snntorch``: ``nn.Linear`` + ``snn.RSynaptic`` (recurrent) and a non-spiking
   ``snn.Synaptic`` readout, driven step by step as its tutorials do;
2. ``reference``: SpikeLab's reference loop (``core.engine.reference``);
3. ``ours``: SpikeLab's fast engine (``core.engine.fast``), given the batch in the sparse event
   form that the data sets provide, and ``ours_dense_input``: given it dense (the step adds the
   scan for non-zeros);
4. ``floor``: the dense GEMM floor, the step's matrix multiplies alone, forward and backward.

A step is the peers suite's (``core.bench.peers``: the same workload, builders and weights:
forward, max-over-time NLL, backward, one Adam update). The methods are timed in interleaved
rounds after one warm-up each, median of the rounds (``core.bench.timing``). Peak memory is
measured per formulation in a fresh subprocess (``core.bench.peak``): the rise of the
process's maximum resident set size over one training step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import torch

from core.bench.peak import peak_memory_mb
from core.bench.peers import load
from core.bench.peers.floor import build as build_floor
from core.bench.peers.spikelab_net import build_fast_dense
from core.bench.timing import Say, round_robin
from core.bench.workload import PeerConfig, make_problem

METHODS: tuple[str, ...] = ("snntorch", "reference", "ours", "ours_dense_input", "floor")
#: The peers suite's implementation behind each method that has one (peak memory runs these).
PEER_OF: dict[str, str] = {
    "snntorch": "snntorch", "reference": "spikelab_reference", "ours": "spikelab_fast"}

# One SHD-shaped workload for this suite and the peers suite: the same shapes, data and weights.
BenchConfig = PeerConfig


def make_step(method: str, cfg: BenchConfig) -> Callable[[], object]:
    """One training step of ``method`` on the workload ``cfg`` describes."""
    problem = make_problem(cfg)
    if method == "floor":
        return build_floor(problem)
    if method == "ours_dense_input":  # the fast engine, converting a dense batch in the step
        return build_fast_dense(problem)
    return load(PEER_OF[method])(problem)


def time_methods(cfg: BenchConfig, repeats: int, progress: Say) -> dict[str, float]:
    """Median seconds per step of each method, timed interleaved after one warm-up each."""
    steps = {m: make_step(m, cfg) for m in METHODS}
    seconds, _ = round_robin(steps, 1, repeats, progress)
    return seconds


def run(cfg: BenchConfig, repeats: int, progress: Say) -> dict:
    """The JSON object ``python -m core bench`` prints: seconds, ratios and peak memory."""
    torch.manual_seed(cfg.seed)
    seconds = time_methods(cfg, repeats, progress)
    progress("measuring peak memory per formulation")
    memory = {m: peak_memory_mb(PEER_OF[m], cfg) for m in ("snntorch", "reference", "ours")}
    return {
        "snntorch_s": seconds["snntorch"],
        "reference_s": seconds["reference"],
        "ours_s": seconds["ours"],
        "ours_dense_input_s": seconds["ours_dense_input"],
        "floor_s": seconds["floor"],
        "speedup": seconds["snntorch"] / seconds["ours"],
        "speedup_vs_reference": seconds["reference"] / seconds["ours"],
        "of_floor": seconds["ours"] / seconds["floor"],
        "peak_mem_mb": memory,
        "mem_ratio_vs_snntorch": memory["ours"] / memory["snntorch"]
        if memory["ours"] is not None and memory["snntorch"]
        else None,
        "config": {**asdict(cfg), "repeats": repeats, "threads": torch.get_num_threads()},
    }
