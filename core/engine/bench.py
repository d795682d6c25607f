"""Benchmark of one training step (forward + backward) of the SpyTorch SHD network.

Timed in one process, interleaved, after warm-up, median of the repeats:

1. snnTorch: ``nn.Linear`` + ``snn.RSynaptic`` (recurrent) and a non-spiking ``snn.Synaptic``
   readout, driven step by step as its tutorials do;
2. the reference SpyTorch loop (``core.engine.reference``);
3. SpikeLab's fast engine (``core.engine.fast``), given the batch in the sparse event form
   that the data sets provide (``ours``), and given it dense (``ours_dense_input``, which adds
   the scan for non-zeros to the step);
4. the dense GEMM floor: the step's matrix multiplies alone, forward and backward.

Peak memory is measured per formulation in a fresh subprocess: the rise of the process's
maximum resident set size over one training step.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict

import torch

from core.bench.workload import PeerConfig, make_problem
from core.engine import Output, Weights, forward, spytorch_loss
from core.engine.compiled import warm_up

METHODS: tuple[str, ...] = ("snntorch", "reference", "ours", "ours_dense_input", "floor")


# One SHD-shaped workload for this suite and the peers suite: the same shapes, data and weights.
BenchConfig = PeerConfig


def _problem(cfg: BenchConfig) -> tuple[torch.Tensor, torch.Tensor, Weights]:
    problem = make_problem(cfg)
    weights = Weights(problem.w1.clone(), problem.v1.clone(), problem.w2.clone())
    for w in weights:
        w.requires_grad_()
    return problem.x, problem.y, weights


def _engine_step(engine: str, cfg: BenchConfig, x, y, weights: Weights) -> Callable[[], None]:
    if engine == "fast":  # its compiled loops are loaded with the code, not in the step
        warm_up()
    def step() -> None:
        output = forward(engine, x, weights, cfg.alpha, cfg.beta, cfg.scale)
        spytorch_loss(output, y, 2e-6, 2e-6).backward()

    return step


def _snntorch_step(cfg: BenchConfig, x, y, weights: Weights) -> Callable[[], None]:
    import snntorch as snn
    from snntorch import surrogate
    from torch import nn

    fc1 = nn.Linear(cfg.inputs, cfg.hidden, bias=False)
    fc2 = nn.Linear(cfg.hidden, cfg.outputs, bias=False)
    with torch.no_grad():
        fc1.weight.copy_(weights.w1.T)
        fc2.weight.copy_(weights.w2.T)
    grad = surrogate.fast_sigmoid(slope=cfg.scale)
    lif = snn.RSynaptic(
        cfg.alpha, cfg.beta, linear_features=cfg.hidden, spike_grad=grad, reset_mechanism="zero"
    )
    readout = snn.Synaptic(cfg.alpha, cfg.beta, threshold=1e9, reset_mechanism="none")

    def step() -> None:
        spk, syn, mem = lif.init_rsynaptic()
        syn2, mem2 = readout.init_synaptic()
        mem_rec, spk_rec = [], []
        for t in range(cfg.steps):
            spk, syn, mem = lif(fc1(x[t]), spk, syn, mem)
            _, syn2, mem2 = readout(fc2(spk), syn2, mem2)
            mem_rec.append(mem2)
            spk_rec.append(spk)
        spikes = torch.stack(spk_rec)
        output = Output(torch.stack(mem_rec), spikes.sum(dim=(0, 1)), spikes)
        spytorch_loss(output, y, 2e-6, 2e-6).backward()

    snn.SpikingNeuron.instances.clear()
    return step


def _floor_step(cfg: BenchConfig, x, weights: Weights) -> Callable[[], None]:
    """The step's dense GEMMs alone: projections, recurrence, readout and their gradients."""
    t_b = cfg.steps * cfg.batch
    flat = x.reshape(t_b, cfg.inputs)
    w1, v1, w2 = (w.detach() for w in weights)
    s = torch.rand(cfg.steps, cfg.batch, cfg.hidden)
    g_h = torch.rand(t_b, cfg.hidden)
    g_out = torch.rand(t_b, cfg.outputs)

    def step() -> None:
        flat @ w1
        for t in range(cfg.steps):
            s[t] @ v1
        s.reshape(t_b, cfg.hidden) @ w2
        flat.T @ g_h
        s.reshape(t_b, cfg.hidden).T @ g_h
        for t in range(cfg.steps):
            g_h[t * cfg.batch : (t + 1) * cfg.batch] @ v1.T
        s.reshape(t_b, cfg.hidden).T @ g_out
        g_out @ w2.T

    return step


def make_step(method: str, cfg: BenchConfig) -> Callable[[], None]:
    x, y, weights = _problem(cfg)
    if method == "snntorch":
        return _snntorch_step(cfg, x, y, weights)
    if method == "floor":
        return _floor_step(cfg, x, weights)
    if method == "ours":  # the batch in its sparse event form, as the data sets provide it
        return _engine_step("fast", cfg, x.to_sparse().coalesce(), y, weights)
    if method == "ours_dense_input":  # the same, converting a dense batch inside the step
        return _engine_step("fast", cfg, x, y, weights)
    return _engine_step("reference", cfg, x, y, weights)


def time_methods(cfg: BenchConfig, repeats: int, progress: Callable[[str], None]) -> dict:
    """Median seconds per step of each method, timed interleaved after one warm-up each."""
    steps = {m: make_step(m, cfg) for m in METHODS}
    for fn in steps.values():
        fn()
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    for r in range(repeats):
        progress(f"repeat {r + 1}/{repeats}")
        for method, fn in steps.items():
            start = time.perf_counter()
            fn()
            times[method].append(time.perf_counter() - start)
    return {m: statistics.median(v) for m, v in times.items()}


def peak_memory_mb(method: str, cfg: BenchConfig) -> float:
    """Peak resident memory added by one step, measured in a fresh Python process.

    Linux resets the high-water mark (VmHWM) when "5" is written to /proc/self/clear_refs,
    so the peak during the step is compared with the resident size just before it.
    """
    code = (
        "import json, sys; from core.engine.bench import *; "
        "cfg = BenchConfig(**json.loads(sys.argv[1])); step = make_step(sys.argv[2], cfg); "
        "kb = lambda key: int(next(l.split()[1] for l in open('/proc/self/status') "
        "if l.startswith(key))); "
        "open('/proc/self/clear_refs', 'w').write('5'); before = kb('VmRSS:'); step(); "
        "print((kb('VmHWM:') - before) / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(asdict(cfg)), method],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(out.stdout.strip().splitlines()[-1])


def run(cfg: BenchConfig, repeats: int, progress: Callable[[str], None]) -> dict:
    torch.manual_seed(cfg.seed)
    seconds = time_methods(cfg, repeats, progress)
    progress("measuring peak memory per formulation")
    memory = {m: peak_memory_mb(m, cfg) for m in ("snntorch", "reference", "ours")}
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
        if memory["snntorch"]
        else None,
        "config": {**asdict(cfg), "repeats": repeats, "threads": torch.get_num_threads()},
    }
