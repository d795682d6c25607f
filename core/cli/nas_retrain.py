"""``nas-retrain``: train a study's best architectures at full scale (``core.nas.retrain``).

``python -m core nas-retrain --storage URL --study NAME [--top K | --trial N] --dataset D
[--data-path P] [--epochs E] [--as same,dnn] --json`` trains the K best architectures by proxy
accuracy (default 1), or trial N, on the whole training set at full resolution with the preset's
full-scale recipe, each under the conditions ``--as`` names (default: the trial's own; ``dnn``
is the same-shape ReLU CNN, ``lif-soft`` etc. the SNN with that neuron and reset), and prints
per retraining its proxy accuracy (from the study, or measured with the search's recipe),
validation and test accuracy, spikes per layer, seconds and run id (the JSON keys are listed
in ``core.nas.retrain``); a table on stderr shows each architecture's conditions side by
side. Ctrl-C stops at the next batch and keeps every finished epoch; the same command resumes
and skips finished retrainings.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import (
    UserError,
    add_json_flag,
    number,
    positive_int,
    progress,
    seed_int,
    stop_on_interrupt,
    thread_count,
)

# core.nas.trainer.PRESETS, named here so that listing the commands stays fast.
PRESET_NAMES = ("small", "fashion", "fashion-full", "mnist-full", "study")


def _trial_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a trial number is >= 0, got {value}")
    return value


def condition_names(text: str) -> list[str]:
    """A comma list of ``--as`` conditions (checked by ``core.nas.retrain_conditions``)."""
    return [name.strip() for name in text.split(",")]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nas-retrain",
                       help="retrain a NAS study's best architectures at full scale")
    p.add_argument("--storage", required=True, help="the study's Optuna storage URL or file")
    p.add_argument("--study", required=True, help="the study's name")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--top", type=positive_int,
                       help="retrain the K best architectures by proxy accuracy (default 1)")
    which.add_argument("--trial", type=_trial_number, help="retrain this trial number")
    p.add_argument("--dataset", required=True, help="an image data set, e.g. fashion-mnist")
    p.add_argument("--data-path", help="folder holding a local copy of the data")
    p.add_argument("--no-download", action="store_true", help="fail instead of fetching")
    p.add_argument("--preset", choices=PRESET_NAMES,
                   help="whose full-scale recipe (default: the study's preset)")
    p.add_argument("--epochs", type=positive_int, help="epochs (default: the recipe's)")
    p.add_argument("--lr", type=number, help="Adam's peak learning rate (default 2e-3)")
    p.add_argument("--batch-size", type=positive_int, help="batch size (default 128)")
    p.add_argument("--seed", type=seed_int, default=0, help="weights and shuffling seed")
    p.add_argument("--max-train-samples", type=positive_int,
                   help="cut the training set (stratified) to this many images")
    p.add_argument("--as", dest="conditions", action="append", type=condition_names,
                   metavar="CONDITIONS",
                   help="retrain under these conditions (repeatable or a comma list): same "
                        "(the trial's own, the default), dnn (the same-shape ReLU CNN), "
                        "if-soft, if-hard, lif-soft, lif-hard (and the registry's other "
                        "trainable neurons)")
    p.add_argument("--threads", type=thread_count, help="torch CPU threads of this process")
    add_json_flag(p)
    p.set_defaults(func=run_retrain)


def _batch_lines(item: Any) -> None:
    """A progress line about every tenth of an epoch."""
    step = max(1, item.batches // 10)
    if item.batch % step == 0 or item.batch == item.batches:
        progress(f"  epoch {item.epoch}/{item.epochs}, batch {item.batch}/{item.batches}, "
                 f"loss {item.loss:.4f}")


def run_retrain(args: argparse.Namespace) -> dict[str, Any]:
    import optuna
    import torch

    from core.nas.retrain import RetrainRequest, plan, retrain
    from core.nas.retrain_views import text_lines
    from core.store import RunStore

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.lr is not None and args.lr <= 0:
        raise UserError(f"The learning rate must be greater than 0, got {args.lr:g}.")
    request = RetrainRequest(
        args.storage, args.study, args.dataset, top=args.top, trial=args.trial,
        preset=args.preset, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
        seed=args.seed, max_train_samples=args.max_train_samples, data_path=args.data_path,
        download=not args.no_download,
        conditions=tuple(name for names in args.conditions or [["same"]] for name in names))
    checked = plan(request)  # storage, study and trial checked; nothing created
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    recipe = checked.recipe
    progress(f"study {args.study!r}: retraining {len(checked.candidates)} architecture(s) "
             f"under {', '.join(request.conditions)} ({len(checked.units)} run(s)) on "
             f"{args.dataset}, {recipe.epochs} epochs, Adam {recipe.lr:g}, batch "
             f"{recipe.batch_size}, warm-up {recipe.warmup_epochs:g} epoch(s)")
    store = RunStore()
    with stop_on_interrupt() as stop:
        out = retrain(checked, store, stop=stop, progress=_batch_lines, say=progress)
    for line in text_lines(out):
        progress(line)
    return out
