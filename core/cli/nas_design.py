"""``nas-design`` and ``nas-table``: the study's whole design on one storage, and its table.

``nas-design`` runs Random, Greedy and Bayesian under IF/LIF x hard/soft plus the DNN baseline,
one study per search and seed (``core.nas.design``), round-robin until each study has
``--trials`` complete trials or ``--minutes`` have passed; rerun it to continue. ``nas-table``
prints the per-condition averages over seeds and the study's three orderings.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from core.cli.common import (
    MAX_THREADS,
    UserError,
    add_json_flag,
    number,
    positive_int,
    progress,
    seed_int,
    stored_studies,
    thread_count,
)
from core.data.registry import dataset_info, dataset_names
from core.nas.algorithms import ALGORITHMS


def _seed_list(text: str) -> tuple[int, ...]:
    """``0,1,2`` -> (0, 1, 2) (an argparse ``type``)."""
    seeds = tuple(seed_int(part.strip()) for part in text.split(",") if part.strip())
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(
            f"expected distinct seeds separated by commas, got {text!r}")
    return seeds


def _algorithm_list(text: str) -> tuple[str, ...]:
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if not names or any(n not in ALGORITHMS for n in names):
        raise argparse.ArgumentTypeError(
            f"expected algorithms of {','.join(ALGORITHMS)} separated by commas, got {text!r}")
    return names


def register(sub: argparse._SubParsersAction, presets: tuple[str, ...]) -> None:
    """Add ``nas-design`` and ``nas-table``; ``presets`` are the training recipes' names."""
    design = sub.add_parser("nas-design", help="run the NAS study's design: 3 algorithms x "
                                               "IF/LIF x hard/soft + DNN, several seeds")
    design.add_argument("--dataset", choices=dataset_names("nas"), default="fashion-mnist")
    design.add_argument("--preset", choices=presets,
                        help="training recipe (default: the data set's)")
    design.add_argument("--seeds", type=_seed_list, default=(0, 1), help="default 0,1")
    design.add_argument("--algorithms", type=_algorithm_list, default=ALGORITHMS,
                        help="default random,greedy,bayesian")
    design.add_argument("--trials", type=positive_int, default=4,
                        help="complete trials per study (default 4)")
    design.add_argument("--minutes", type=number, help="start no trial after this many minutes")
    design.add_argument("--storage", required=True, help="Optuna storage URL or SQLite file")
    design.add_argument("--data-path", help="folder holding a local copy of the data")
    design.add_argument("--no-download", action="store_true", help="fail instead of fetching")
    design.add_argument("--threads", type=thread_count,
                        help=f"torch CPU threads (1 to {MAX_THREADS})")
    add_json_flag(design)
    design.set_defaults(func=run_design_command)

    table = sub.add_parser("nas-table", help="per-condition averages of a nas-design storage")
    table.add_argument("--storage", required=True, help="Optuna storage URL or SQLite file")
    add_json_flag(table)
    table.set_defaults(func=run_table)


def run_design_command(args: argparse.Namespace) -> dict[str, Any]:
    import optuna
    import torch

    from core.data.base import DataUnavailable
    from core.nas.design import design_specs, run_design
    from core.nas.study import MAX_TRIALS, PRESETS, make_storage
    from core.nas.trainer import prepare_data

    if args.trials > MAX_TRIALS:
        raise UserError(f"--trials must be at most {MAX_TRIALS:,}.")
    if args.minutes is not None and not 0 < args.minutes <= 7 * 24 * 60:
        raise UserError("--minutes must be more than 0 and at most a week.")
    preset = args.preset or dataset_info(args.dataset).defaults_for("nas")["preset"]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    deadline = None if args.minutes is None else time.time() + args.minutes * 60.0
    try:
        data = prepare_data(args.dataset, PRESETS[preset], args.data_path,
                            download=not args.no_download)
    except DataUnavailable as exc:
        raise UserError(str(exc)) from exc
    specs = design_specs(args.dataset, preset, args.algorithms)
    progress(f"{len(specs)} searches x seeds {list(args.seeds)}, {args.trials} trials each")

    def report(name: str, trial: Any) -> None:
        value = "-" if trial.value is None else f"{trial.value:.3f}"
        seconds = trial.user_attrs.get("seconds")
        took = "" if seconds is None else f" in {seconds:.1f} s"
        progress(f"{name} trial {trial.number} {trial.state.name.lower()}: "
                 f"val accuracy {value}{took}")

    storage = make_storage(args.storage)
    ran = run_design(storage, data, specs, args.seeds, args.trials, deadline, on_trial=report)
    return {"trials_run": ran, **_table(storage)}


def run_table(args: argparse.Namespace) -> dict[str, Any]:
    """The table of the design in ``--storage``, read only: a missing SQLite file is an
    error, not a new empty file."""

    storage = stored_studies(args.storage)
    return _table(storage)


def _table(storage: Any) -> dict[str, Any]:
    from core.nas.design import condition_averages, design_records, orderings, paired_differences

    studies = design_records(storage)
    rows = condition_averages(studies)
    return {"table": rows, "orderings": orderings(rows), "paired": paired_differences(studies)}
