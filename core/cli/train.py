"""``train``, ``sweep``, ``runs`` and ``export-nir``: surrogate-gradient training from the shell.

``python -m core train --dataset braille --data-path FILE --json`` trains with the data set's
literature defaults (``core.training.defaults``), saves the run in the run store and prints
``{"train_accuracy", "test_accuracy", "seconds", "spikes_per_sample", "run_id", ...}``.
``python -m core sweep --dataset D --grid hidden=100,200 steps=50 ... --storage URL --study N``
runs (or resumes) an Optuna grid search and prints the per-value means and the best point.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from core.cli.common import (
    UserError,
    add_json_flag,
    positive_int,
    progress,
    seed_int,
    stop_on_interrupt,
)
from core.engine import ENGINES
from core.neurons.registry import model_names
from core.training.config import DEVICES, OPTIMIZERS, TrainConfig
from core.training.defaults import DEFAULTS

DATASETS = tuple(DEFAULTS)  # the data sets whose loaders declare surrogate-gradient defaults


def register(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train a SpyTorch network with surrogate gradients")
    _training_options(train)
    train.add_argument("--hidden", type=int, help="hidden neurons")
    train.add_argument("--steps", type=int, help="time steps")
    train.add_argument("--scale", type=float, help="surrogate scale (fast sigmoid slope)")
    train.add_argument("--reg", type=float, help="spike regulariser per hidden spike")
    train.add_argument("--nir", metavar="FILE", help="also export the network to this NIR file")
    add_json_flag(train)
    train.set_defaults(func=run_train)

    sweep = sub.add_parser("sweep", help="grid search of hidden, steps, scale and reg (Optuna)")
    _training_options(sweep)
    sweep.add_argument("--grid", nargs="+", default=[], metavar="NAME=V1,V2",
                       help="values per parameter (hidden, steps, scale, reg); "
                            "unnamed ones use the thesis grid")
    sweep.add_argument("--storage", help="Optuna storage URL (default: sweeps.db by the run DB)")
    sweep.add_argument("--study", default="grid", help="study name (resumes when it exists)")
    sweep.add_argument("--max-trials", type=int, help="train at most this many points now")
    add_json_flag(sweep)
    sweep.set_defaults(func=run_sweep_command)

    runs = sub.add_parser("runs", help="list the runs saved in the run store")
    runs.add_argument("--kind", help="only this kind (surrogate, relpsp, nas, ...)")
    runs.add_argument("--limit", type=positive_int, default=20)
    runs.add_argument("--db", help="run database file (default: $SPIKELAB_DB)")
    add_json_flag(runs)
    runs.set_defaults(func=run_runs)

    export = sub.add_parser("export-nir", help="write a saved training run as a NIR graph")
    export.add_argument("--run", type=positive_int, required=True, help="run id (see: runs)")
    export.add_argument("--out", required=True, help="the .nir file to write")
    export.add_argument("--db", help="run database file (default: $SPIKELAB_DB)")
    add_json_flag(export)
    export.set_defaults(func=run_export)


def _training_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", choices=DATASETS, default=TrainConfig.dataset)
    p.add_argument("--data-path", help="a local copy of the data set's file(s)")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--recurrent", action=argparse.BooleanOptionalAction, default=None,
                   help="recurrent hidden layer (default: the data set's)")
    p.add_argument("--reg-quadratic", type=float, help="SpyTorch's per-neuron quadratic term")
    p.add_argument("--seed", type=seed_int)
    p.add_argument("--neuron", choices=model_names(trainable=True), default=TrainConfig.neuron,
                   help="hidden neuron model (default: synaptic, SpyTorch's current-based LIF)")
    p.add_argument("--engine", choices=ENGINES,
                   help="default: fast where it accelerates the neuron, else reference")
    p.add_argument("--device", choices=DEVICES)
    p.add_argument("--threads", type=positive_int,
                   help="CPU threads (default: torch's, one per core; on a machine busy with "
                        "other work 1 is often much faster)")
    p.add_argument("--max-train", type=int, help="use only the first N training samples")
    p.add_argument("--max-test", type=int, help="use only the first N test samples")
    p.add_argument("--db", help="run database file (default: $SPIKELAB_DB)")
    p.add_argument("--no-save", action="store_true", help="do not save the run(s)")


def _config(args: argparse.Namespace):
    from core.engine import engine_for
    from core.training import default_config

    engine = engine_for(args.neuron, args.engine)
    if args.engine is None and engine != "fast":
        progress(f"the fast engine does not accelerate the {args.neuron} neuron: "
                 f"training on the {engine} engine")
    names = ("hidden", "steps", "scale", "reg", "epochs", "batch_size", "lr", "optimizer",
             "recurrent", "reg_quadratic", "seed", "device", "max_train", "max_test")
    return default_config(args.dataset, neuron=args.neuron, engine=engine,
                          **{n: getattr(args, n, None) for n in names})


def _set_threads(args: argparse.Namespace) -> None:
    """Use ``--threads`` CPU threads, when given (at most this machine's cores)."""
    if args.threads is not None:
        import os

        import torch

        cores = os.cpu_count() or 1
        if args.threads > cores:
            raise UserError(f"--threads must be from 1 to {cores}, this machine's cores "
                            f"(got {args.threads}).")
        torch.set_num_threads(args.threads)


def _dataset(args: argparse.Namespace):
    from core.data import DataUnavailable, load_dataset

    shown = {"tenth": -1}

    def downloading(done: int, total: int | None) -> None:  # one line per 10 %
        tenth = 10 * done // total if total else done // 10_000_000
        if tenth != shown["tenth"]:
            shown["tenth"] = tenth
            progress(f"downloading: {10 * tenth} %" if total else f"downloading: {done} bytes")

    try:
        return load_dataset(args.dataset, args.data_path, progress=downloading,
                            download=not args.no_download)
    except DataUnavailable as exc:
        raise UserError(str(exc)) from exc


def _epoch_printer(p) -> None:
    """One line per finished epoch (printed as the next one starts)."""
    if p.batch == 1 and p.history:
        h = p.history[-1]
        progress(f"epoch {h['epoch']}/{p.epochs}: loss {h['loss']:.4f}, train accuracy "
                 f"{h['train_accuracy']:.3f}, test accuracy {h['test_accuracy']:.3f}, "
                 f"{h['seconds']:.1f} s")


def run_train(args: argparse.Namespace) -> dict[str, Any]:
    from core.store import RunStore
    from core.training import save_report, train
    from core.training.inputs import prepare

    config = _config(args)
    _set_threads(args)
    if args.nir:  # refuse before training, not after
        from core.training.nir_export import check_exportable

        check_exportable(config)
    store = None if args.no_save else RunStore(args.db)
    data = prepare(_dataset(args), config)
    progress(f"training {config.dataset}: {config.hidden} hidden, {config.steps} steps, "
             f"{config.epochs} epochs")
    with stop_on_interrupt() as stop:  # Ctrl-C: stop at the next batch, keep the run
        report = train(config, data=data, progress=_epoch_printer, stop=stop)
    if store is not None:
        report = save_report(store, report)
    result: dict[str, Any] = {
        **report.metrics(),  # "stopped": Ctrl-C ended it early
        "run_id": report.run_id,
        "history": report.history,
        "config": config.to_dict(),
    }
    if args.nir:
        from core.training.nir_export import write_nir

        result["nir"] = str(write_nir(report.params, config, report.dt_ms, args.nir))
    return result


def run_sweep_command(args: argparse.Namespace) -> dict[str, Any]:
    from core.search.grid import parse_grid, run_sweep
    from core.store import RunStore

    grid = parse_grid(args.grid)
    base = _config(args)
    _set_threads(args)
    store = None if args.no_save else RunStore(args.db)
    dataset = _dataset(args)

    def report(message: str, p) -> None:  # the point once, then its epochs
        if p is None:
            progress(message)
        else:
            _epoch_printer(p)

    summary = run_sweep(base, grid, args.study, args.storage, store, dataset=dataset,
                        data_path=args.data_path, progress=report, max_trials=args.max_trials)
    return {
        "study": summary.study,
        "total": summary.total,
        "done": summary.done,
        "best": asdict(summary.best) if summary.best else None,
        "per_value": [asdict(v) for v in summary.per_value],
        "points": [asdict(p) for p in summary.points],
    }


def run_runs(args: argparse.Namespace) -> dict[str, Any]:
    from core.store import RunStore

    store = RunStore(args.db)
    runs = store.list_runs(kind=args.kind, limit=args.limit)
    if runs.skipped:
        progress(f"note: skipped run(s) {', '.join(map(str, runs.skipped))}: their stored "
                 "JSON cannot be read.")
    return {
        "db": str(store.path),
        "runs": [
            {"id": r.id, "kind": r.kind, "created": r.created, "name": r.name,
             "dataset": r.config.get("dataset"), "metrics": r.metrics}
            for r in runs
        ],
        "skipped": list(runs.skipped),
    }


def run_export(args: argparse.Namespace) -> dict[str, Any]:
    from core.store import RunStore
    from core.training import load_report
    from core.training.nir_export import write_nir

    report = load_report(RunStore(args.db), args.run)
    path = write_nir(report.params, report.config, report.dt_ms, args.out)
    return {"run_id": report.run_id, "nir": str(path)}
