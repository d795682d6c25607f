"""``python -m core bench``: benchmarks measured in one process, reported as ratios.

This module is the command line only (flags, checks, the call); every suite lives in
``core.bench``. ``--suite training`` (the default) times one training step of the SpyTorch SHD
network in five formulations (see ``core.bench.training``).
``--suite playground`` times training steps and map redraws of the SNN Playground.
``--suite explorer`` times what the Neuron dynamics page computes on one redraw (neurons A and
B, their f-I curves, the exact-vs-Euler comparison and the ReL-PSP panel) at 2,000 steps,
against the 50 ms interactivity budget, and the same single-neuron simulation driven through
snnTorch's classes step by step (both in ``core.bench.interactive``).
``--suite peers`` times SpikeLab against snnTorch, Norse, SpikingJelly and the plain PyTorch
SpyTorch loop at batch 256 and 64 (see ``core.bench.suite``; ``--quick``: batch 64 and 5 rounds,
``--smoke``: tiny sizes, no verdicts); ``--suite scaling`` fits how a
step's time grows with T, hidden size, batch and input density, and the reference engine's
with T (``core.bench.scaling``); ``--suite conv`` times one training step of a 4-layer conv SNN
(SpikeLab's NAS ConvNet) against snnTorch, SpikingJelly and Norse, each as its tutorials write
it and in SpikeLab's layout and precision, and the ReLU CNN floor, at batch 128 and 64
(``core.bench.conv``).
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import UserError, add_json_flag, progress
from core.free_memory import check_memory
from core.neurons.params import MAX_STEPS

SUITES = ("training", "explorer", "playground", "peers", "scaling", "conv")
#: The batch sizes of ``--suite peers``, and of ``--suite conv`` when --batches is not given.
PEER_BATCHES, CONV_BATCHES = (256, 64), (128, 64)
#: Timed repeats per method at most: a median of a thousand runs is as good as it gets.
MAX_REPEATS = 1000
#: float32 [steps, batch, hidden] tensors one training step of the four methods holds at once
#: (forward states, saved activations and gradients), on top of the [steps, batch, inputs] input.
BENCH_HIDDEN_TENSORS = 16


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks, timed in one run")
    bench.add_argument("--suite", choices=SUITES, default="training")
    bench.add_argument("--batch", type=int, default=256, help="training: batch size")
    bench.add_argument("--steps", type=int, help="time steps (training 100, explorer 2000)")
    bench.add_argument("--inputs", type=int, default=700, help="training: input channels")
    bench.add_argument("--hidden", type=int, default=200, help="training: hidden neurons")
    bench.add_argument("--outputs", type=int, default=20, help="training: classes")
    bench.add_argument("--density", type=float, default=0.02, help="training: input density")
    bench.add_argument("--repeats", type=int, default=None, help="timed repeats per method")
    bench.add_argument("--batches", type=batch_list, default=PEER_BATCHES,
                       help="peers (256,64), conv (128,64): batch sizes, comma-separated")
    bench.add_argument("--quick", action="store_true",
                       help="peers: the SHD shape at batch 64, 5 rounds (verdicts at batch 64, "
                            "seconds); scaling, conv: tiny sizes and one round (a smoke run)")
    bench.add_argument("--smoke", action="store_true",
                       help="peers: tiny sizes and one round, which checks that every "
                            "implementation runs (no verdicts); scaling, conv: as --quick")
    bench.add_argument("--no-memory", action="store_true",
                       help="peers: skip the peak-memory processes")
    bench.add_argument("--threads", type=int, default=None,
                       help="peers, scaling: torch threads (default: torch's own choice)")
    add_json_flag(bench)
    bench.set_defaults(func=run_bench)


def check_bench(args: argparse.Namespace) -> None:
    """Refuse sizes that would run for ever or cannot fit, before any timing starts."""
    if args.repeats is not None and not 1 <= args.repeats <= MAX_REPEATS:
        raise UserError(f"--repeats must be 1 to {MAX_REPEATS:,} (got {args.repeats}).")
    if args.steps is not None and not 1 <= args.steps <= MAX_STEPS:
        raise UserError(f"--steps must be 1 to {MAX_STEPS:,} (got {args.steps}).")
    if args.suite not in ("training", "peers"):
        return
    batch = max(args.batches) if args.suite == "peers" else args.batch
    sizes = {"batches" if args.suite == "peers" else "batch": batch, "inputs": args.inputs,
             "hidden": args.hidden, "outputs": args.outputs}
    for name, value in sizes.items():
        if value < 1:
            raise UserError(f"--{name} must be at least 1 (got {value}).")
    steps = args.steps or 100
    per_step = batch * (args.inputs + BENCH_HIDDEN_TENSORS * args.hidden + args.outputs)
    weights = args.inputs * args.hidden + args.hidden * args.hidden + args.hidden * args.outputs
    check_memory(4 * (steps * per_step + 4 * weights),
                 f"batch {batch:,}, {steps:,} steps, {args.inputs:,} inputs, hidden "
                 f"{args.hidden:,}", "lower the batch, the steps or the sizes")


def batch_list(text: str) -> tuple[int, ...]:
    """``256,64`` -> (256, 64): whole numbers of at least 1 (an argparse ``type``)."""
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, "
                                         f"got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected batch sizes of at least 1, got {text!r}")
    return values


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    check_bench(args)
    if args.suite == "training":
        return bench_training(args)
    if args.suite == "conv":
        return bench_conv(args)
    if args.suite in ("peers", "scaling"):
        return bench_peers(args) if args.suite == "peers" else bench_scaling(args)
    args.repeats = args.repeats or 15
    if args.suite == "playground":
        return bench_playground(args)
    args.steps = args.steps or 2000
    return bench_explorer(args)


def bench_training(args: argparse.Namespace) -> dict[str, Any]:
    """One training step: snnTorch vs the reference loop vs the fast engine vs the GEMM floor."""
    from core.bench.training import BenchConfig, run

    cfg = BenchConfig(
        batch=args.batch,
        steps=args.steps or 100,
        inputs=args.inputs,
        hidden=args.hidden,
        outputs=args.outputs,
        density=args.density,
    )
    return run(cfg, args.repeats or 7, progress)


def bench_playground(args: argparse.Namespace) -> dict[str, Any]:
    """Training steps per second of the 2-8-8-2 playground network, and one map redraw."""
    from core.bench.interactive import run_playground

    return run_playground(args.repeats, progress)


def bench_explorer(args: argparse.Namespace) -> dict[str, Any]:
    """One Neuron dynamics redraw against its budget, and one neuron against snnTorch's."""
    from core.bench.interactive import run_explorer

    return run_explorer(args.steps, args.repeats, progress)


def set_threads(args: argparse.Namespace) -> None:
    """``--threads``: torch's thread count for the peers, scaling and conv suites."""
    import torch

    if args.threads is not None:
        if not 1 <= args.threads <= 1024:
            raise UserError(f"--threads must be 1 to 1,024 (got {args.threads}).")
        torch.set_num_threads(args.threads)


def peer_workload(args: argparse.Namespace) -> Any:
    """The peers and scaling suites' base workload: the flags (the SHD shape by default), or
    the smoke run's tiny sizes (``--smoke``, and the scaling suite's ``--quick``); sets torch's
    thread count when ``--threads`` is given."""
    from core.bench.suite import SMOKE
    from core.bench.workload import PeerConfig

    set_threads(args)
    if args.smoke or (args.quick and args.suite == "scaling"):
        sizes = {k: SMOKE[k] for k in ("steps", "inputs", "hidden", "outputs", "density")}
        return PeerConfig(batch=SMOKE["batches"][0], **sizes)
    return PeerConfig(batch=args.batch, steps=args.steps or 100, inputs=args.inputs,
                      hidden=args.hidden, outputs=args.outputs, density=args.density)


def bench_peers(args: argparse.Namespace) -> dict[str, Any]:
    """SpikeLab fast and reference, snnTorch, Norse, SpikingJelly and plain PyTorch: the full
    suite, ``--quick`` (batch 64, fewer rounds; --batches still chooses) or ``--smoke``."""
    from core.bench.suite import QUICK, SMOKE, run_peers

    cfg = peer_workload(args)
    preset = SMOKE if args.smoke else QUICK if args.quick else None
    batches = preset["batches"] if preset and args.batches == PEER_BATCHES else args.batches
    repeats = args.repeats or (preset["repeats"] if preset else 7)
    warmup = preset["warmup"] if preset else 2
    return run_peers(cfg, tuple(batches), repeats, warmup, not args.no_memory, progress)


def bench_conv(args: argparse.Namespace) -> dict[str, Any]:
    """SpikeLab's conv SNN step against snnTorch, SpikingJelly, Norse and the ReLU CNN floor."""
    from core.bench.conv import runner

    set_threads(args)
    batches = CONV_BATCHES if args.batches == PEER_BATCHES else tuple(args.batches)
    return runner(args.quick or args.smoke, batches, args.repeats, progress)()


def bench_scaling(args: argparse.Namespace) -> dict[str, Any]:
    """The fast engine's step time against T, hidden size, batch and density, and the
    reference engine's against T."""
    from core.bench.scaling import FACTORS, run_scaling

    small = args.quick or args.smoke
    factors = (0.5, 1.0, 2.0) if small else FACTORS
    repeats = args.repeats or (1 if small else 3)
    return run_scaling(peer_workload(args), factors, repeats, 1, progress)
