"""``simulate`` and ``relpsp spike-time``: single neurons from the command line."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any

import numpy as np

from core.cli import relpsp_train
from core.cli.common import add_json_flag, float_list, number, progress, seed_int
from core.neurons.params import (
    MAX_STEPS,
    RESETS,
    PhysicalParams,
    check_steps,
    check_values,
)
from core.neurons.registry import MODELS, get_model, model_names
from core.neurons.relpsp import spike_time
from core.neurons.simulation import Neuron, simulate
from core.stimuli import INPUT_KINDS, InputSpec, make_input


def register(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser("simulate", help=f"simulate one neuron ({', '.join(model_names())})")
    sim.add_argument("--neuron", choices=model_names(), default="lif")
    sim.add_argument("--reset", choices=RESETS, default="soft")
    sim.add_argument(
        "--beta", type=number, help="membrane decay per step (default exp(-dt/tau_mem))"
    )
    sim.add_argument(
        "--alpha", type=number, help="synaptic decay per step (default exp(-dt/tau_syn))"
    )
    sim.add_argument("--tau-mem", type=number, default=10.0, help="ms, used when --beta is absent")
    sim.add_argument("--tau-syn", type=number, default=5.0, help="ms, used when --alpha is absent")
    sim.add_argument("--dt", type=number, default=1.0, help="ms per step")
    sim.add_argument("--threshold", type=number, default=1.0)
    sim.add_argument("--input", choices=INPUT_KINDS, default="step")
    sim.add_argument("--amplitude", type=number, default=0.15,
                     help="input size; for --input spikes it multiplies every --weights value")
    sim.add_argument("--steps", type=int, default=100)
    sim.add_argument("--rate", type=number, default=0.1, help="Poisson spike probability per step")
    sim.add_argument("--period", type=number, default=50.0, help="sine period in steps")
    sim.add_argument("--onset", type=int, default=0, help="first step of the step input")
    sim.add_argument("--times", type=float_list, default=[],
                     help="spike input: whole steps (0 or later), e.g. 5,20")
    sim.add_argument("--weights", type=float_list, default=[],
                     help="spike input: weights (times --amplitude), e.g. -0.5,0.3")
    sim.add_argument("--seed", type=seed_int, default=0)
    sim.add_argument("--backend", choices=("spikelab", "snntorch"), default="spikelab")
    add_model_flags(sim)
    add_json_flag(sim)
    sim.set_defaults(func=run_simulate)

    relpsp = sub.add_parser("relpsp", help="ReL-PSP neurons")
    relpsp_sub = relpsp.add_subparsers(
        dest="relpsp_command", required=True, parser_class=type(relpsp)
    )
    st = relpsp_sub.add_parser("spike-time", help="exact first-spike time of one ReL-PSP neuron")
    st.add_argument("--times", type=float_list, required=True,
                    help="input spike times, any real numbers (only their differences matter)")
    st.add_argument("--weights", type=float_list, required=True, help="e.g. 0.5,-0.2,0.7")
    st.add_argument("--threshold", type=number, default=1.0)
    add_json_flag(st)
    st.set_defaults(func=run_spike_time)
    relpsp_train.register(relpsp_sub)  # adds ``relpsp train``


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per registry params field without one yet (``adapt_tau`` -> ``--adapt-tau``)."""
    for model in MODELS:
        for f in fields(model.params):
            try:
                parser.add_argument(
                    "--" + f.name.replace("_", "-"),
                    type=number if isinstance(f.default, float) else type(f.default),
                    default=f.default,
                    choices=f.metadata.get("choices"),
                    help=f"{f.metadata.get('help', f.name)} ({model.name}; default {f.default})",
                )
            except argparse.ArgumentError:  # the flag exists: an earlier model or a fixed one
                continue


def decays(args: argparse.Namespace) -> tuple[float, float]:
    """beta and alpha: the flags, else exp(-dt/tau_mem) and exp(-dt/tau_syn)."""
    physical = PhysicalParams(args.tau_mem, args.tau_syn, args.dt)
    return (
        physical.beta if args.beta is None else args.beta,
        physical.alpha if args.alpha is None else args.alpha,
    )


def neuron_from_args(args: argparse.Namespace) -> Neuron:
    """The ``--neuron`` model with its parameters taken from the flags."""
    values = {f.name: getattr(args, f.name) for f in fields(get_model(args.neuron).params)}
    values["beta"], values["alpha"] = decays(args)
    check_values(**values)  # every shared flag is checked, even one this model ignores
    return Neuron.make(args.neuron, **values)


def spike_steps(times: list[float]) -> tuple[int, ...]:
    """``--times`` as steps: whole numbers from 0 to ``MAX_STEPS`` (later ones never fire)."""
    bad = [t for t in times if t != int(t) or not 0 <= t <= MAX_STEPS]
    if bad:
        raise ValueError(f"Spike times are whole steps from 0 to {MAX_STEPS:,} (got {bad[0]:g}).")
    return tuple(int(t) for t in times)


def run_simulate(args: argparse.Namespace) -> dict[str, Any]:
    steps = check_steps(args.steps)
    neuron = neuron_from_args(args)
    model, params = get_model(neuron.model), neuron.params
    spec = InputSpec(
        kind=args.input,
        amplitude=args.amplitude,
        onset=args.onset,
        period=args.period,
        rate=args.rate,
        seed=args.seed,
        times=spike_steps(args.times),
        weights=tuple(args.weights),
    )
    x = make_input(spec, steps)
    progress(f"simulating {steps} steps of a {args.neuron} neuron ({args.reset} reset)")
    if args.backend == "snntorch":
        from core.neurons.snntorch_ref import simulate_snntorch  # torch import is slow

        result = simulate_snntorch(neuron, x)
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported once, below
            result = simulate(neuron, x)
    out: dict[str, Any] = {
        "mem": result.mem.tolist(),
        "spikes": result.spikes.astype(int).tolist(),
    }
    for name in model.traces:  # e.g. "syn"; the membrane is above, a threshold trace below
        if name not in ("mem", "threshold") and name in result.traces:
            out[name] = result.traces[name].tolist()
    dynamic = "threshold" in model.traces
    out.update(
        input=x.tolist(),
        spike_count=int(result.spikes.sum()),
        steps=steps,
        neuron=args.neuron,
        reset=args.reset,
        beta=getattr(params, "beta", decays(args)[0]),  # the decay the model applies
        alpha=decays(args)[1],
        threshold=result.traces["threshold"].tolist() if dynamic else params.threshold,
        backend=args.backend,
    )
    return out


def run_spike_time(args: argparse.Namespace) -> dict[str, Any]:
    t = spike_time(args.times, args.weights, args.threshold)
    progress(f"fires at t = {t}" if t is not None else "never fires")
    return {"spike_time": t, "threshold": args.threshold}
