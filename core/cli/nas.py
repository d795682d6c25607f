"""``nas`` and ``nas-worker``: architecture search for deep SNNs on an Optuna study.

``nas`` creates or continues a study with the given settings; ``nas-worker`` joins an existing
study by name (its settings are stored in it), so any number of machines can share one
PostgreSQL study. Both print every trial of the study so far and the best one.

``--objectives accuracy,energy [--hardware ops]`` searches for accuracy and energy per frame
at once (Random, Bayesian = multi-objective TPE, or NSGA-II); each trial is priced from its own
spikes on the validation set as ``energy --run`` prices its run. ``nas-front`` reads the front.
"""

from __future__ import annotations

import argparse
import secrets
from typing import Any

from core.cli import nas_design, nas_front, nas_retrain
from core.cli.common import (
    MAX_THREADS,
    UserError,
    add_json_flag,
    number,
    progress,
    seed_int,
    thread_count,
)
from core.data.registry import dataset_info, dataset_names
from core.nas.algorithms import SEARCH_ALGORITHMS
from core.nas.objectives import HARDWARE, parse_objectives
from core.nas.space import MODELS, NEURONS, RESETS, STUDY_NEURONS

DATASETS = dataset_names("nas")  # the data sets whose loaders declare a NAS preset
# core.nas.trainer.PRESETS and SearchSpec's defaults, named here so that listing the commands
# stays fast (that module loads scikit-learn); tests/test_cli_defaults.py checks they agree.
PRESET_NAMES = nas_retrain.PRESET_NAMES
SPEC_DEFAULTS = {"dataset": "digits", "model": "snn"}


def register(sub: argparse._SubParsersAction) -> None:
    nas = sub.add_parser("nas", help="search conv SNN architectures (Random, Greedy, Bayesian; "
                                     "NSGA-II for accuracy and energy)")
    nas.add_argument("--algorithm", choices=SEARCH_ALGORITHMS, required=True,
                     help="greedy: accuracy alone; nsga2: accuracy and energy")
    nas.add_argument("--dataset", choices=DATASETS, default=SPEC_DEFAULTS["dataset"])
    nas.add_argument("--model", choices=MODELS, default=SPEC_DEFAULTS["model"],
                     help="snn, or the ReLU baseline")
    nas.add_argument("--neuron", type=str.upper, choices=NEURONS,
                     help="fix the neuron (default: searched)")
    nas.add_argument("--neurons", type=_neuron_list, metavar="IF,LIF,...",
                     help=f"the searched neurons, of {','.join(NEURONS)} "
                          f"(default: the study's {','.join(STUDY_NEURONS)})")
    nas.add_argument("--reset", choices=RESETS, help="fix the reset (default: searched)")
    nas.add_argument(
        "--preset", choices=PRESET_NAMES,
        help="training recipe: small (CPU, default for digits), fashion (CPU, default for "
             "fashion-mnist: 14x14 images, filters <= 32), fashion-full / mnist-full (28x28, "
             "filters <= 64; about a minute a trial) or study (default for cifar10)",
    )
    nas.add_argument("--study", help="study name (default: from the settings)")
    _common(nas)
    nas.set_defaults(func=run_nas)

    worker = sub.add_parser("nas-worker", help="run trials of an existing NAS study")
    worker.add_argument("--study", required=True)
    _common(worker)
    worker.set_defaults(func=run_worker)
    nas_design.register(sub, PRESET_NAMES)
    nas_retrain.register(sub)
    nas_front.register(sub)


#: The longest pause between a worker's heartbeats: an hour (its trial fails after three).
MAX_HEARTBEAT_S = 3600


def heartbeat_seconds(text: str) -> float:
    """Seconds between heartbeats: Optuna counts whole seconds, so at least 1 (no rounding)."""
    value = number(text)
    if not 1 <= value <= MAX_HEARTBEAT_S or value != int(value):
        raise argparse.ArgumentTypeError(
            f"expected a whole number of seconds from 1 to {MAX_HEARTBEAT_S}, got {text!r}")
    return value


def _neuron_list(text: str) -> tuple[str, ...]:
    """``if,LIF`` -> ("IF", "LIF") (an argparse ``type``)."""
    names = tuple(n.strip().upper() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in NEURONS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"expected neurons of {','.join(NEURONS)} separated by commas, got {text!r}")
    return names


def _objectives(text: str) -> tuple[str, ...]:
    """``accuracy`` or ``accuracy,energy`` (an argparse ``type``)."""
    try:
        return parse_objectives(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected accuracy or accuracy,energy, got {text!r}") from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--objectives", type=_objectives, metavar="accuracy[,energy]",
                        help="maximise validation accuracy (default), or also minimise energy "
                             "per frame (nas-worker: must match the study's)")
    parser.add_argument("--hardware", choices=HARDWARE,
                        help="the energy model pricing a trial's measured spikes (default ops: "
                             "NeuroBench-style operation counts; yoso maps fully connected "
                             "networks only, so it refuses conv ones)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--trials", type=int, help="trials to run now (default 10)")
    budget.add_argument("--minutes", type=float, help="start no trial after this many minutes")
    parser.add_argument(
        "--storage", help="Optuna storage URL or SQLite file (default ~/.spikelab/nas.db)"
    )
    parser.add_argument("--seed", type=seed_int, help="sampler seed (nas: 0; nas-worker: random)")
    parser.add_argument("--data-path", help="folder holding a local copy of the data")
    parser.add_argument("--no-download", action="store_true", help="fail instead of fetching")
    parser.add_argument("--threads", type=thread_count,
                        help=f"torch CPU threads of this process (1 to {MAX_THREADS})")
    parser.add_argument("--heartbeat", type=heartbeat_seconds, default=10.0,
                        help="seconds between heartbeats; a silent worker's trial fails after 3")
    parser.add_argument("--no-store", action="store_true",
                        help="do not save trials to the run store ($SPIKELAB_DB)")
    add_json_flag(parser)


def _default_storage() -> str:
    from core.store.studies import NAS_DB, default_storage

    return default_storage(NAS_DB)


def run_nas(args: argparse.Namespace) -> dict[str, Any]:
    from core.nas.study import SearchSpec

    preset = args.preset or dataset_info(args.dataset).defaults_for("nas")["preset"]
    spec = SearchSpec(args.algorithm, args.dataset, args.model, args.neuron, args.reset, preset,
                      args.neurons, args.objectives or ("accuracy",), args.hardware)
    seed = 0 if args.seed is None else args.seed
    return _search(args, args.study or spec.default_name, spec, seed)


def run_worker(args: argparse.Namespace) -> dict[str, Any]:
    seed = secrets.randbelow(2**31) if args.seed is None else args.seed
    return _search(args, args.study, None, seed)


def _search(args: argparse.Namespace, name: str, spec: Any, seed: int) -> dict[str, Any]:
    import optuna
    import torch

    from core.data.base import DataUnavailable
    from core.nas.study import Budget, make_storage, open_study, run_search
    from core.nas.summary import best_record, study_records
    from core.nas.trainer import prepare_data

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own progress lines instead
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    no_budget = args.trials is None and args.minutes is None
    budget = Budget(10 if no_budget else args.trials, args.minutes)
    def load(spec: Any) -> Any:
        try:
            return prepare_data(spec.dataset, spec.train_preset, args.data_path,
                                download=not args.no_download)
        except DataUnavailable as exc:
            raise UserError(str(exc)) from exc

    data = None if spec is None else load(spec)  # no study is created without its data
    storage = make_storage(args.storage or _default_storage(), args.heartbeat)
    study, spec = open_study(storage, name, spec, seed)
    _check_joined(args, spec)
    data = data if data is not None else load(spec)
    store = None
    if not args.no_store:
        from core.store import RunStore

        store = RunStore()
    goal = f", accuracy and energy ({spec.hardware})" if spec.multi else ""
    progress(f"study {name!r}: {spec.algorithm} search of {spec.model} on {spec.dataset} "
             f"({spec.preset} preset{goal}), seed {seed}")
    run_search(study, spec, budget, data, store=store, on_trial=_report)
    records = study_records(study)
    best = best_record(records)
    return {
        "study": name,
        "seed": seed,
        "trials": [r.to_json() for r in records],
        "best": best.to_json() if best else None,
        "objectives": list(spec.objectives),
        "hardware": spec.hardware,
    }


def _report(trial: Any) -> None:
    """One progress line per finished trial: its accuracy (and energy)."""
    values = trial.values or []
    value = f"{values[0]:.3f}" if values else "-"
    energy = f", energy {values[1]:.4g} J" if len(values) > 1 else ""
    progress(f"trial {trial.number} {trial.state.name.lower()}: val accuracy {value}{energy}")


def _check_joined(args: argparse.Namespace, spec: Any) -> None:
    """A worker's --objectives/--hardware, when given, must be the study's own."""
    if args.objectives is not None and tuple(args.objectives) != spec.objectives:
        raise UserError(f"Study {args.study!r} searches {','.join(spec.objectives)}, not "
                        f"{','.join(args.objectives)}.")
    if args.hardware is not None and args.hardware != spec.hardware:
        raise UserError(f"Study {args.study!r} prices energy with "
                        f"{spec.hardware or 'no hardware'}, not {args.hardware}.")
