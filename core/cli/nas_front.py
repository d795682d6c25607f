"""``nas-front``: the accuracy-energy front of multi-objective NAS studies, and hypervolumes.

``python -m core nas-front --storage URL [--study NAME ...] --json`` prints ``{"studies",
"reference", "front", "hypervolume", "fronts", "per_study", "per_algorithm", "per_condition",
"per_condition_algorithm", "algorithm_comparisons", "condition_comparisons", "snn_vs_dnn"}``
(``core.nas.front.front_report``). Without ``--study``, every accuracy-and-energy study in the
storage. The storage is only read: a missing SQLite file is an error, not a new file.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import add_json_flag, progress, stored_studies


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nas-front", help="Pareto front (accuracy against energy) and "
                                         "hypervolumes of accuracy-and-energy NAS studies")
    p.add_argument("--storage", required=True, help="Optuna storage URL or SQLite file")
    p.add_argument("--study", action="append",
                   help="a study name (repeat for several; default: every accuracy-and-energy "
                        "study of the storage)")
    add_json_flag(p)
    p.set_defaults(func=run_front)


def run_front(args: argparse.Namespace) -> dict[str, Any]:
    import optuna

    from core.nas.front import front_report, read_studies

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = stored_studies(args.storage)
    names = None if not args.study else list(dict.fromkeys(args.study))
    studies, reference = read_studies(storage, names)
    progress(f"{len(studies)} studies, {sum(len(s.points) for s in studies)} priced trials; "
             f"reference energy {reference.energy_j:.4g} J")
    return {"studies": [s.name for s in studies], **front_report(studies, reference)}
