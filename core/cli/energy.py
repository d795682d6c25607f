"""``energy``: what one frame of a network costs on neuromorphic hardware.

``python -m core energy --hardware NAME (--run RUN_ID | --arch 784-800-10 --spikes
100,80,10) --json`` prints ``{"energy_per_frame_j", "latency_s", "synaptic_ops", "ann_energy_j",
"breakdown", ...}``. ``--spikes`` gives each layer's spikes in one frame, input first. With
``--calibrate`` the published ReL-PSP/YOSO MNIST figures are compared with the model's
(``calibration``: every neuron firing once); with ``--calibrate --run ID`` also on the run's
trained network, all-fire beside its measured test-set spikes (``calibration_measured``).
With ``--run ID --neurobench`` NeuroBench's own counts on the run's test samples are added
(``neurobench_acs``, ``neurobench_macs``, ``neurobench_activation_sparsity``, ``synops_ratio``).
The ``--hardware`` choices and each model's parameter flags come from the hardware registry
(``core.hardware.registry``); ``--dataset``'s choices are the NIR simulation's
(``core.interop.nir_run.SIM_DATASETS``, read from the data registry).
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import (
    UserError,
    add_json_flag,
    float_list,
    number,
    positive_int,
    progress,
)
from core.hardware.analysis import Calibration, calibrate, sweep
from core.hardware.constants import RELPSP_YOSO_MNIST
from core.hardware.params import counts, flag_name, help_text, si
from core.hardware.registry import MODELS, knob_fields, make_model, make_params, model_names
from core.hardware.workload import Workload, fc_workload, parse_arch
from core.hardware.yoso_calibration import VALIDATION_NOTE, measured_calibration
from core.interop.nir_run import SIM_DATASETS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("energy", help="energy and latency of one frame on neuromorphic hardware")
    models = "; ".join(f"{m.name}: {m.label}, {m.summary}, maps {m.maps}" for m in MODELS)
    p.add_argument("--hardware", choices=model_names(), default="yoso",
                   help=models.replace("%", "%%"))
    p.add_argument("--run", type=positive_int, help="a saved run's id (see the run store)")
    p.add_argument("--arch", help="layer sizes, input first, e.g. 784-800-10")
    p.add_argument("--spikes", type=float_list, help="spikes per layer per frame: 100,80,10")
    p.add_argument("--time-steps", type=int, default=1, help="time steps of a frame (--arch)")
    p.add_argument("--recurrent", action="store_true", help="hidden layers feed themselves")
    p.add_argument("--db", help="run database (default $SPIKELAB_DB or ~/.spikelab/spikelab.db)")
    p.add_argument("--calibrate", action="store_true",
                   help="compare with the published ReL-PSP MNIST network on YOSO (every "
                   "neuron firing once); with --run, also the run's trained network priced "
                   "with every neuron firing and with its measured test-set spikes")
    p.add_argument("--sweep", type=float_list, help="spike scale factors, e.g. 0.5,1,2")
    add_knob_flags(p)
    bench = p.add_argument_group("NeuroBench (with --run)")
    bench.add_argument("--neurobench", action="store_true",
                       help="add NeuroBench's counts on the run's test samples")
    bench.add_argument("--samples", type=positive_int, default=100,
                       help="test samples NeuroBench runs")
    bench.add_argument("--dataset", choices=SIM_DATASETS,
                       help="data set of a nir run (default: the one simulated)")
    bench.add_argument("--data-path", help="a local copy of the data set's file(s)")
    add_json_flag(p)
    p.set_defaults(func=run_energy)


def add_knob_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per registry knob, in its unit (``--clock-mhz``), grouped as the page groups
    them; left out, each model keeps its own default."""
    groups: dict[str, Any] = {}
    for name, f in knob_fields().items():
        group_name = f.metadata.get("group") or "hardware"
        if group_name not in groups:
            groups[group_name] = parser.add_argument_group(group_name)
        groups[group_name].add_argument(
            flag_name(f), dest=name, type=int if counts(f) else number, default=None,
            metavar=f.metadata.get("unit") or "N", help=help_text(f).replace("%", "%%"))


def _model(args: argparse.Namespace) -> Any:
    """The ``--hardware`` model with the knob flags given (in SI units)."""
    values = {name: si(f, getattr(args, name)) for name, f in knob_fields().items()
              if getattr(args, name) is not None}
    return make_model(args.hardware, make_params(args.hardware, **values))


def _workload(args: argparse.Namespace) -> Workload:
    if args.run is not None and args.arch:
        raise UserError("give either --run or --arch, not both")
    if args.run is not None:
        from core.hardware.runs import workload_from_run  # the store imports torch
        from core.store import RunStore

        progress(f"reading run {args.run}")
        return workload_from_run(RunStore(args.db).get_run(args.run), args.spikes)
    if not args.arch:
        raise UserError("give --run RUN_ID, or --arch (e.g. 784-800-10) with --spikes")
    if args.spikes is None:
        raise UserError("--arch needs --spikes: one count per layer, input first")
    return fc_workload(parse_arch(args.arch), args.spikes, args.time_steps, args.recurrent)


def run_energy(args: argparse.Namespace) -> dict[str, Any]:
    if args.neurobench and args.run is None:
        raise UserError("--neurobench needs --run: NeuroBench runs a saved network on data")
    model = _model(args)
    if args.calibrate and args.run is None and not args.arch:
        progress(f"calibrating {model.name} against {RELPSP_YOSO_MNIST.label}")
        cal = calibrate(model, args.spikes)
        return {**cal.report.to_dict(), "calibration": _published(cal, args.spikes)}
    workload = _workload(args)
    progress(f"{model.name}: {workload.label}, spikes {list(workload.spikes)}")
    out = model.estimate(workload).to_dict()
    if args.sweep:
        out["sweep"] = [p.__dict__ for p in sweep(model, workload, args.sweep)]
    if args.calibrate:
        out["calibration"] = _published(calibrate(model), None)
        if args.run is not None:
            out["calibration_measured"] = _measured(model, args)
    if args.neurobench:
        out.update(_neurobench(args))
    return out


def _published(cal: Calibration, spikes: list[float] | None) -> dict[str, Any]:
    """The published network's calibration, with its spike assumption and what it can show."""
    assumption = "every neuron fires once" if spikes is None else "the spikes given"
    return {**cal.to_dict(), "assumption": assumption, "note": VALIDATION_NOTE}


def _measured(model: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The model on the run's trained network: all-fire beside its measured spikes."""
    from core.store import RunStore

    run = RunStore(args.db).get_run(args.run)
    result = measured_calibration(model, run)
    if result["dataset"] != "mnist" or not result["same_network_as_published"]:
        progress(f"note: run {args.run} is {result['network']} on {result['dataset']}; the "
                 "published figure is a 784-800-10 network on MNIST")
    measured = result["measured"]
    progress(f"run {args.run}, measured spikes ({result['spikes_source']}): "
             f"{measured['model_energy_per_frame_j']:.3g} J per image, "
             f"{measured['energy_ratio']:.3g} x the published figure")
    return result


def _neurobench(args: argparse.Namespace) -> dict[str, Any]:
    """NeuroBench's counts beside SpikeLab's (``core.interop.neurobench``)."""
    from core.data import DataUnavailable
    from core.interop.neurobench import energy_fields
    from core.store import RunStore

    progress(f"NeuroBench: run {args.run} on {args.samples} test samples")
    try:
        return energy_fields(RunStore(args.db).get_run(args.run), args.samples, args.dataset,
                             args.data_path)
    except DataUnavailable as exc:
        raise UserError(str(exc)) from exc
