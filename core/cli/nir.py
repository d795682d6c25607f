"""``import-nir`` and ``simulate-net``: networks from other libraries, through NIR.

``python -m core import-nir --file net.nir --json`` checks a NIR graph, stores it as a run of
kind ``nir`` and prints ``{"run_id", "layer_sizes", "neurons", "dt_s", "order", ...}``.
``python -m core simulate-net --run ID --dataset digits --samples 100 --json`` runs it on
encoded test samples and prints ``{"accuracy", "spikes_per_layer", "effective_acs", ...}``;
the run then holds the counts that ``energy --run ID`` prices.
``python -m core neurobench --run ID --samples 100 --json`` counts a surrogate or nir run with
NeuroBench's own ``Benchmark`` and SpikeLab's operation model on the same test samples.
``--dataset``'s choices are ``core.interop.nir_run.SIM_DATASETS``, read from the data registry.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import UserError, add_json_flag, number, positive_int, progress
from core.interop.nir_graph import CONVENTIONS, DEFAULT_DT, NORSE_DT, ORDERS
from core.interop.nir_run import INPUTS, SIM_DATASETS


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import-nir", help="import a NIR graph from another library as a run")
    imp.add_argument("--file", required=True, help="the .nir file (HDF5) to import")
    imp.add_argument("--name", default="", help="the run's name (default: the file's name)")
    imp.add_argument("--dt", type=number,
                     help=f"Euler time step in seconds (default: the file's metadata dt, else "
                          f"{DEFAULT_DT:g}, snnTorch's)")
    imp.add_argument("--order", choices=ORDERS, default="euler",
                     help="CubaLIF: euler adds the previous step's current to the membrane "
                          "(NIR's Euler step, Norse, SpyTorch); snntorch adds the same step's "
                          "(snn.Synaptic)")
    imp.add_argument("--convention", choices=CONVENTIONS, default="nir",
                     help=f"how the file writes time constants: nir (seconds) or norse "
                          f"(norse.torch.to_nir writes dt*tau; dt defaults to {NORSE_DT:g})")
    imp.add_argument("--db", help="run database file (default: $SPIKELAB_DB)")
    add_json_flag(imp)
    imp.set_defaults(func=run_import)

    sim = sub.add_parser("simulate-net", help="run an imported network on a data set")
    sim.add_argument("--run", type=positive_int, required=True, help="a nir run's id")
    sim.add_argument("--dataset", choices=SIM_DATASETS, default=SIM_DATASETS[0],
                     help="the data set whose test samples it runs on (the data registry's "
                          "images and time series)")
    sim.add_argument("--data-path", help="a local copy of the data set's file(s)")
    sim.add_argument("--no-download", action="store_true", help="fail instead of downloading")
    sim.add_argument("--samples", type=positive_int, default=100, help="test samples to run")
    sim.add_argument("--steps", type=positive_int, help="time steps (default: the data set's)")
    sim.add_argument("--input", choices=tuple(INPUTS), default="spikes",
                     help="spikes: as SpikeLab trains (images as time-to-first-spike); "
                          "current: every value as a constant current at every step")
    sim.add_argument("--db", help="run database file (default: $SPIKELAB_DB)")
    add_json_flag(sim)
    sim.set_defaults(func=run_simulate)

    bench = sub.add_parser("neurobench", help="NeuroBench's operation counts beside SpikeLab's")
    bench.add_argument("--run", type=positive_int, required=True, help="a surrogate or nir run")
    bench.add_argument("--dataset", choices=SIM_DATASETS,
                       help="default: the run's own data set")
    bench.add_argument("--data-path", help="a local copy of the data set's file(s)")
    bench.add_argument("--no-download", action="store_true", help="fail instead of downloading")
    bench.add_argument("--samples", type=positive_int, default=100, help="test samples to run")
    bench.add_argument("--db", help="run database file (default: $SPIKELAB_DB)")
    add_json_flag(bench)
    bench.set_defaults(func=run_neurobench)


def run_import(args: argparse.Namespace) -> dict[str, Any]:
    from core.interop.nir_run import import_nir
    from core.store import RunStore

    result = import_nir(args.file, RunStore(args.db), name=args.name, dt=args.dt,
                        order=args.order, convention=args.convention)
    progress(f"imported {result['name']} as run {result['run_id']}: layers "
             f"{'-'.join(map(str, result['layer_sizes']))}, dt {result['dt_s']:g} s")
    return result


def run_simulate(args: argparse.Namespace) -> dict[str, Any]:
    from core.data import DataUnavailable
    from core.interop.nir_run import simulate_run
    from core.store import RunStore

    progress(f"simulating run {args.run} on {args.samples} {args.dataset} test samples")
    try:
        return simulate_run(RunStore(args.db), args.run, args.dataset, args.data_path,
                            args.samples, args.steps, download=not args.no_download,
                            encoding=args.input)
    except DataUnavailable as exc:
        raise UserError(str(exc)) from exc


def run_neurobench(args: argparse.Namespace) -> dict[str, Any]:
    from core.data import DataUnavailable
    from core.interop.neurobench import compare
    from core.store import RunStore

    run = RunStore(args.db).get_run(args.run)
    progress(f"counting run {args.run} with NeuroBench on {args.samples} test samples")
    try:
        return compare(run, args.dataset, args.samples, args.data_path,
                       download=not args.no_download)
    except DataUnavailable as exc:
        raise UserError(str(exc)) from exc
