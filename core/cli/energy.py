"""``energy``: what one frame of a network costs on neuromorphic hardware.

``python -m core energy --hardware {yoso,ops,ann} (--run RUN_ID | --arch 784-800-10 --spikes
100,80,10) --json`` prints ``{"energy_per_frame_j", "latency_s", "synaptic_ops", "ann_energy_j",
"breakdown", ...}``. ``--spikes`` gives each layer's spikes in one frame, input first. With
``--calibrate`` the published ReL-PSP/YOSO MNIST figures are compared with the model's
(``calibration``: every neuron firing once); with ``--calibrate --run ID`` also on the run's
trained network, all-fire beside its measured test-set spikes (``calibration_measured``).
With ``--run ID --neurobench`` NeuroBench's own counts on the run's test samples are added
(``neurobench_acs``, ``neurobench_macs``, ``neurobench_activation_sparsity``, ``synops_ratio``).
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import UserError, add_json_flag, float_list, positive_int, progress
from core.hardware import ENERGY_MODELS, OpsConfig, YosoConfig, make_model
from core.hardware.analysis import Calibration, calibrate, sweep
from core.hardware.constants import PJ, RELPSP_YOSO_MNIST
from core.hardware.workload import Workload, fc_workload, parse_arch
from core.hardware.yoso_calibration import VALIDATION_NOTE, measured_calibration
from core.interop.nir_run import SIM_DATASETS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("energy", help="energy and latency of one frame on neuromorphic hardware")
    p.add_argument("--hardware", choices=tuple(ENERGY_MODELS), default="yoso")
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
    mesh = p.add_argument_group("YOSO mesh")
    mesh.add_argument("--rows", type=int, default=YosoConfig.rows)
    mesh.add_argument("--cols", type=int, default=YosoConfig.cols)
    mesh.add_argument("--neurons-per-pe", type=int, default=YosoConfig.neurons_per_pe)
    mesh.add_argument("--weight-bits", type=int, default=YosoConfig.weight_bits)
    mesh.add_argument("--weight-sram-kib", type=float, default=YosoConfig.weight_sram_kib)
    mesh.add_argument("--clock-mhz", type=float, default=YosoConfig.clock_hz / 1e6)
    mesh.add_argument("--leakage-uw", type=float, default=YosoConfig.leakage_w_per_pe * 1e6,
                      help="leakage power per PE in microwatts")
    ops = p.add_argument_group("operation counts")
    ops.add_argument("--e-ac-pj", type=float, default=OpsConfig.e_ac_j / PJ)
    ops.add_argument("--e-mac-pj", type=float, default=OpsConfig.e_mac_j / PJ)
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


def _model(args: argparse.Namespace) -> Any:
    ops = OpsConfig(args.e_ac_pj * PJ, args.e_mac_pj * PJ)
    if args.hardware != "yoso":
        return make_model(args.hardware, ops)
    from core.hardware.yoso import YosoModel

    config = YosoConfig(
        rows=args.rows, cols=args.cols, neurons_per_pe=args.neurons_per_pe,
        weight_bits=args.weight_bits, weight_sram_kib=args.weight_sram_kib,
        clock_hz=args.clock_mhz * 1e6, leakage_w_per_pe=args.leakage_uw * 1e-6,
    )
    return YosoModel(config, e_ac_j=ops.e_ac_j, e_mac_j=ops.e_mac_j)


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
