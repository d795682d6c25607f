"""The peers suite: SpikeLab against the field's SNN libraries, side by side in one process.

For each batch size every implementation (``core.bench.peers``) trains the same batch from the
same weights. Each one's first call is its step-1 loss (and its first warm-up); after the
warm-up the implementations run in round-robin rounds (the order rotating each round, so none
is always first after another's cache traffic), and each one's time is the median of its
rounds. Ratios are each implementation's median over SpikeLab fast's (> 1: slower than
SpikeLab). The dense-GEMM floor (``core.bench.peers.floor``: the step's matrix multiplies
alone) runs in the same rounds (``core.bench.timing.round_robin``). Peak memory is measured per
implementation in a fresh process (``core.bench.peak``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

import torch

from core.bench.peak import peak_memory_mb
from core.bench.peers import BY_NAME, OTHERS, PEERS, load, missing_reason
from core.bench.peers.floor import build as build_floor
from core.bench.timing import Say, round_robin
from core.bench.workload import PeerConfig, Problem, cpu_features, cpu_name, make_problem

FAST = "spikelab_fast"
REFERENCE = "spikelab_reference"
FLOOR = "floor"
#: Relative step-1 loss difference allowed between implementations of identical maths
#: (float32 rounding of sums taken in different orders).
LOSS_RTOL = 1e-5
#: ``--quick``: the full suite's SHD-shaped workload, warm-up and interleaved rounds, at batch
#: 64 only and with 5 rounds instead of 7: verdicts at batch 64 in seconds, not minutes.
QUICK = {"batches": (64,), "repeats": 5, "warmup": 2}
#: ``--smoke`` (and the scaling suite's ``--quick``): tiny sizes and one round, which checks that
#: every implementation runs; its timings are no comparison (``core.bench.results`` shows no
#: verdicts for it).
SMOKE = {"batches": (16, 4), "steps": 20, "inputs": 60, "hidden": 20, "outputs": 5,
         "density": 0.1, "repeats": 1, "warmup": 2}


def loss_check(losses: dict[str, float]) -> dict[str, Any]:
    """Do the implementations of identical maths agree at step 1 (relative to the reference)?"""
    same = [name for name in losses if BY_NAME[name].identical]
    ref = losses.get(REFERENCE)
    if ref is None or len(same) < 2:
        return {"identical": same, "max_rel_diff": None, "agree": None}
    worst = max(abs(losses[name] - ref) / max(abs(ref), 1e-12) for name in same)
    return {"identical": same, "max_rel_diff": worst, "agree": worst <= LOSS_RTOL}


def time_batch(
    cfg: PeerConfig, names: list[str], warmup: int, repeats: int, progress: Say
) -> dict[str, Any]:
    """Medians, step-1 losses and the floor at one batch size."""
    problem: Problem = make_problem(cfg)
    progress(f"batch {cfg.batch}: building {', '.join(names)}")
    fns: dict[str, Callable[[], object]] = {name: load(name)(problem) for name in names}
    fns[FLOOR] = build_floor(problem)
    seconds, first = round_robin(fns, warmup, repeats, progress)
    losses = {name: float(first[name]) for name in names}  # type: ignore[arg-type]
    return {"seconds": seconds, "losses": losses}


def run_peers(
    cfg: PeerConfig,
    batches: tuple[int, ...],
    repeats: int,
    warmup: int,
    memory: bool,
    progress: Say,
) -> dict[str, Any]:
    """The whole suite: the JSON object ``bench --suite peers`` prints."""
    missing = {p.name: r for p in PEERS if (r := missing_reason(p.name)) is not None}
    if FAST in missing:
        raise ValueError(f"SpikeLab's fast engine does not import: {missing[FAST]}")
    for name, reason in missing.items():
        progress(f"missing: {name} ({reason})")
    names = [p.name for p in PEERS if p.name not in missing]
    load_before = os.getloadavg()
    torch.manual_seed(cfg.seed)
    results, per_batch = [], {}
    for batch in batches:
        bcfg = replace(cfg, batch=batch)
        timed = time_batch(bcfg, names, warmup, repeats, progress)
        mem = {}
        if memory:
            progress(f"batch {batch}: peak memory, one fresh process per implementation")
            mem = {name: peak_memory_mb(name, bcfg) for name in names}
        per_batch[str(batch)] = timed
        fast_s = timed["seconds"][FAST]
        for name in names:
            median_s = timed["seconds"][name]
            results.append({"name": name, "label": BY_NAME[name].label, "batch": batch,
                            "median_s": median_s, "ratio": median_s / fast_s,
                            "peak_mem_mb": mem.get(name), "step1_loss": timed["losses"][name]})
    return summarise(results, per_batch, missing, cfg, repeats, warmup, load_before)


def summarise(
    results: list[dict[str, Any]],
    per_batch: dict[str, dict[str, Any]],
    missing: dict[str, str],
    cfg: PeerConfig,
    repeats: int,
    warmup: int,
    load_before: tuple[float, float, float],
) -> dict[str, Any]:
    """Fastest peer, snnTorch's ratio, the fraction of the floor and the loss check per batch."""
    fastest, snntorch, of_floor, floor_s, checks = {}, {}, {}, {}, {}
    for key, timed in per_batch.items():
        rows = [r for r in results if str(r["batch"]) == key]
        others = [r for r in rows if r["name"] in OTHERS]
        best = min(others, key=lambda r: r["ratio"]) if others else None
        fastest[key] = {"name": best["name"], "ratio": best["ratio"]} if best else None
        snn = next((r for r in rows if r["name"] == "snntorch"), None)
        snntorch[key] = snn["ratio"] if snn else None
        floor_s[key] = timed["seconds"][FLOOR]
        of_floor[key] = timed["seconds"][FAST] / floor_s[key]
        checks[key] = {"losses": timed["losses"], **loss_check(timed["losses"])}
    return {
        "suite": "peers",
        "results": results,
        "fastest_peer": fastest,
        "snntorch_ratio": snntorch,
        "of_floor": of_floor,
        "floor_s": floor_s,
        "missing": sorted(missing),
        "missing_reasons": missing,
        "loss_check": checks,
        "notes": {p.name: p.notes for p in PEERS},
        "cpu": cpu_name(),
        "cpu_features": cpu_features(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "config": {**asdict(cfg), "batches": sorted({r["batch"] for r in results}, reverse=True),
                   "repeats": repeats, "warmup": warmup},
    }
