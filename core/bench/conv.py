"""The conv suite: one training step of a 4-layer conv SNN, SpikeLab against the field's libraries.

The network, the batch and the libraries' versions of it are ``core.bench.peers.conv_nets``'s.
Each peer runs twice: as its tutorials write it ("tutorial": float32, contiguous) and "matched"
(SpikeLab's channels_last layout and precision: bfloat16 autocast where SpikeLab runs bfloat16),
so the table separates SpikeLab's own gain from the precision's. The dense floor is the plain
ReLU CNN with the same convolutions on the [T*B] batch, in float32. Timing is the benchmarks'
one loop of interleaved rounds (``core.bench.timing.round_robin``); ratios are each median over
SpikeLab's (> 1: slower than SpikeLab). Each one's first call is its step-1 loss; SpikeLab's
fast and reference paths run identical maths (float32: equal to ``LOSS_RTOL``; bfloat16: to
``BF16_LOSS_RTOL``), the peers' neurons differ in reset timing and surrogate (their notes).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch

from core.bench.peers import import_builder as load
from core.bench.peers import import_error
from core.bench.peers.conv_nets import ConvProblem, make_conv_problem
from core.bench.suite import LOSS_RTOL
from core.bench.timing import Say, round_robin
from core.bench.workload import Step, cpu_features, cpu_name
from core.nas.fast_lif import conv_mode

SPIKELAB = "spikelab"
REFERENCE = "spikelab_reference"
FLOOR = "floor"
#: Relative step-1 loss difference allowed between SpikeLab's bfloat16 and float32 paths.
BF16_LOSS_RTOL = 5e-2
#: ``--quick``: tiny sizes and one round (a smoke run: every network builds and steps).
QUICK = {"batches": (8, 4), "steps": 2, "repeats": 1, "warmup": 1}
#: The full suite's time steps, rounds (``--repeats`` changes them) and warm-up calls.
FULL = {"steps": 4, "repeats": 5, "warmup": 2}


@dataclass(frozen=True)
class ConvPeer:
    """A library's conv SNN: its name in the JSON, label, builder and what differs."""

    name: str
    label: str
    builder: str  # "module:function", called with (problem, matched)
    notes: str


PEERS: tuple[ConvPeer, ...] = (
    ConvPeer("snntorch", "snnTorch 1.0 (snn.Leaky, per-step loop)",
             "core.bench.peers.conv_snntorch:build",
             "the same neuron (delayed soft reset, fast sigmoid slope 5); batch norm sees "
             "each step's batch, not [T*B]"),
    ConvPeer("spikingjelly", "SpikingJelly 2.0 (multi-step LIFNode)",
             "core.bench.peers.conv_spikingjelly:build",
             "reset in the same step (not delayed); SoftSign(alpha=5) surrogate"),
    ConvPeer("norse", "Norse 1.1 (SequentialState of LIFBoxCell, per step)",
             "core.bench.peers.conv_norse:build",
             "Euler form (batch-norm affine x 1/(1 - beta)); hard reset in the same step; "
             "SuperSpike surrogate"),
)
VARIANTS = ("tutorial", "matched")


def missing_reason(builder: str) -> str | None:
    """Why a peer cannot run here (its library does not import), or None."""
    return import_error(load, builder)


def steps_for(problem: ConvProblem, peers: list[ConvPeer]) -> dict[tuple[str, str], Step]:
    """Every timed step by (name, variant): SpikeLab's two paths, each peer twice, the floor."""
    from core.bench.peers.conv_nets import build_floor, build_spikelab

    fns = {(SPIKELAB, problem.mode): build_spikelab(problem, problem.mode),
           (REFERENCE, "fp32"): build_spikelab(problem, "reference"),
           (FLOOR, "tutorial"): build_floor(problem, False),
           (FLOOR, "matched"): build_floor(problem, True)}
    for peer in peers:
        for variant in VARIANTS:
            fns[(peer.name, variant)] = load(peer.builder)(problem, variant == "matched")
    return fns


def time_batch(batch: int, steps: int, mode: str, peers: list[ConvPeer], warmup: int,
               repeats: int, progress: Say) -> list[dict[str, Any]]:
    """One result row per (name, variant) at one batch size."""
    progress(f"batch {batch}: building SpikeLab ({mode}), {', '.join(p.name for p in peers)}")
    fns = steps_for(make_conv_problem(batch, steps, mode), peers)
    keyed = {f"{name}/{variant}": fn for (name, variant), fn in fns.items()}
    seconds, first = round_robin(keyed, warmup, repeats, progress)
    ours = seconds[f"{SPIKELAB}/{mode}"]
    labels = {p.name: p.label for p in peers} | {
        SPIKELAB: "SpikeLab ConvNet (fast path)", REFERENCE: "SpikeLab ConvNet (reference)",
        FLOOR: "dense floor (ReLU CNN on [T*B])"}
    return [{"name": name, "variant": variant, "label": labels[name], "batch": batch,
             "median_s": seconds[f"{name}/{variant}"],
             "ratio": seconds[f"{name}/{variant}"] / ours, "peak_mem_mb": None,
             "step1_loss": float(first[f"{name}/{variant}"])} for name, variant in fns]


def loss_check(rows: list[dict[str, Any]], mode: str) -> dict[str, Any]:
    """SpikeLab's fast path against its reference at step 1; every row's relative difference."""
    ref = next(r["step1_loss"] for r in rows if r["name"] == REFERENCE)
    rel = {f"{r['name']}/{r['variant']}": abs(r["step1_loss"] - ref) / max(abs(ref), 1e-12)
           for r in rows}
    tol = BF16_LOSS_RTOL if mode == "bf16" else LOSS_RTOL
    ours = rel[f"{SPIKELAB}/{mode}"]
    return {"reference_loss": ref, "rel_diff": rel, "rtol": tol, "agree": ours <= tol}


def summarise(rows: list[dict[str, Any]], batch: int, mode: str) -> dict[str, Any]:
    """The fastest peer (tutorial and matched), snnTorch's ratio, SpikeLab over the floor."""
    mine = [r for r in rows if r["batch"] == batch]
    peer_names = {p.name for p in PEERS}

    def fastest(variant: str) -> dict[str, Any] | None:
        found = [r for r in mine if r["name"] in peer_names and r["variant"] == variant]
        best = min(found, key=lambda r: r["ratio"]) if found else None
        return {"name": best["name"], "ratio": best["ratio"]} if best else None

    snn = next((r["ratio"] for r in mine if r["name"] == "snntorch"
                and r["variant"] == "tutorial"), None)
    floor = next(r for r in mine if r["name"] == FLOOR and r["variant"] == "tutorial")
    return {"fastest": fastest("tutorial"), "fastest_matched": fastest("matched"),
            "snntorch": snn, "floor_s": floor["median_s"], "of_floor": 1.0 / floor["ratio"],
            "loss_check": loss_check(mine, mode)}


def run_conv(batches: tuple[int, ...], steps: int, repeats: int, warmup: int,
             progress: Say, mode: str | None = None) -> dict[str, Any]:
    """The whole suite: the JSON object ``bench --suite conv`` prints."""
    mode = conv_mode(mode)
    if mode == "reference":
        mode = "fp32"  # the suite times SpikeLab's fast path; the reference has its own row
    missing = {p.name: r for p in PEERS if (r := missing_reason(p.builder)) is not None}
    for name, reason in missing.items():
        progress(f"missing: {name} ({reason})")
    peers = [p for p in PEERS if p.name not in missing]
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    for batch in batches:
        rows += time_batch(batch, steps, mode, peers, warmup, repeats, progress)
    per = {str(b): summarise(rows, b, mode) for b in batches}
    return {
        "suite": "conv",
        "results": rows,
        "fastest_peer": {k: v["fastest"] for k, v in per.items()},
        "fastest_peer_matched": {k: v["fastest_matched"] for k, v in per.items()},
        "snntorch_ratio": {k: v["snntorch"] for k, v in per.items()},
        "of_floor": {k: v["of_floor"] for k, v in per.items()},
        "floor_s": {k: v["floor_s"] for k, v in per.items()},
        "loss_check": {k: v["loss_check"] for k, v in per.items()},
        "missing": sorted(missing),
        "missing_reasons": missing,
        "notes": {p.name: p.notes for p in PEERS},
        "precision": mode,
        "cpu": cpu_name(),
        "cpu_features": cpu_features(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "config": {"network": "32c3-32c3-pool-64c3-64c3-pool-linear, LIF soft, beta 0.5",
                   "input": "28x28x1, direct encoding", "time_steps": steps,
                   "batches": list(batches), "repeats": repeats, "warmup": warmup},
    }


def runner(quick: bool, batches: tuple[int, ...], repeats: int | None,
           progress: Say) -> Callable[[], dict[str, Any]]:
    """The command line's call: ``--quick``'s tiny sizes or the flags' (T = 4)."""
    if quick:
        return partial(run_conv, QUICK["batches"], QUICK["steps"], repeats or QUICK["repeats"],
                       QUICK["warmup"], progress)
    return partial(run_conv, batches, FULL["steps"], repeats or FULL["repeats"], FULL["warmup"],
                   progress)
