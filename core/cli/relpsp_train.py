"""``relpsp train``: train a ReL-PSP network with STDBP and save the run.

Added under the ``relpsp`` command of ``core.cli.neurons`` (``register`` receives its
sub-parsers). The flags' choices are ``RelpspConfig``'s; a flag left out takes the data set's
default (``core.relpsp.config.default_config``: the loader's ``INFO.defaults["relpsp"]``, else
``RelpspConfig``'s, which the help shows).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from core.cli.common import (
    MAX_THREADS,
    UserError,
    add_json_flag,
    progress,
    seed_int,
    stop_on_interrupt,
    thread_count,
)
from core.relpsp.config import (
    ARCHS,
    DATASETS,
    ENCODINGS,
    LR_SCALINGS,
    PRESET_ARCHS,
    PSPS,
    REFERENCE_FAN_IN,
    RelpspConfig,
    default_config,
)

if TYPE_CHECKING:
    from core.relpsp.train import Progress

_D = RelpspConfig()  # the defaults the help shows (a data set may set its own)


def _default(value: object) -> str:
    """Help text of a flag's default, which a data set may override."""
    return f"default: the data set's, else {value}"


def hidden_sizes(text: str) -> tuple[int, ...]:
    """``128`` or ``256,128`` -> layer sizes; ``0`` -> no hidden layer (an argparse ``type``)."""
    try:
        sizes = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, got {text!r}"
        ) from None
    if sizes == (0,):
        return ()
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"hidden layer sizes must be >= 1 (got {text!r})")
    return sizes


def register(relpsp_sub: argparse._SubParsersAction) -> None:
    tr = relpsp_sub.add_parser("train", help="train a ReL-PSP network with STDBP")
    hidden = ",".join(map(str, _D.hidden)) or "0"
    tr.add_argument("--dataset", choices=DATASETS, default=_D.dataset)
    tr.add_argument("--hidden", type=hidden_sizes,
                    help=f"hidden layer sizes, e.g. 128 or 256,128; 0 for none "
                    f"({_default(hidden)})")
    tr.add_argument("--epochs", type=int, help=_default(_D.epochs))
    tr.add_argument("--seed", type=seed_int, help=_default(_D.seed))
    tr.add_argument("--arch", choices=ARCHS + PRESET_ARCHS,
                    help="fc: fully connected; conv: the --conv layers (default one 16-map 3x3 "
                    "layer), each followed by --pool earliest-spike pooling, then the hidden "
                    "layers; csnn: the C-SNN preset, 16c5-P2-32c5-P2-800-128 (the shape assumed "
                    "for the paper's C-SNN) without bias spikes, layer learning rates scaled "
                    f"by fan-in (other flags override its settings) ({_default(_D.arch)})")
    tr.add_argument("--conv-channels", type=int,
                    help=f"maps of --arch conv's one 3x3 layer ({_default(_D.conv_channels)})")
    tr.add_argument("--conv", metavar="LAYERS",
                    help="a deep C-SNN's conv layers, e.g. 16c5,32c5 (the paper's): "
                    "<maps>c<kernel>[s<stride>][p<padding>] each, followed by earliest-spike "
                    "pooling, then the --hidden layers; implies --arch conv")
    tr.add_argument("--pool", type=int,
                    help=f"earliest-spike pooling after each conv layer, N x N; 1 for none "
                    f"({_default(_D.pool)})")
    tr.add_argument("--psp", choices=PSPS,
                    help="neuron kernel; alpha-PSP is the comparison trained by the same rule "
                    f"({_default(_D.psp)})")
    tr.add_argument("--no-bias-spike", dest="bias_spike", action="store_false", default=None,
                    help="no learnt reference spike at t = 0 into each layer (without it a "
                    "patch with no input spike stays silent)")
    tr.add_argument("--encoding", choices=ENCODINGS, help=_default(_D.encoding))
    tr.add_argument("--batch-size", type=int, help=_default(_D.batch_size))
    tr.add_argument("--lr", type=float, help=_default(_D.lr))
    tr.add_argument("--lr-scaling", choices=LR_SCALINGS,
                    help="none: one Adam learning rate; fan-in: a layer with n inputs learns "
                    f"at lr * {REFERENCE_FAN_IN} / n ({_default(_D.lr_scaling)})")
    tr.add_argument("--theta", type=float, help=f"firing threshold ({_default(_D.theta)})")
    tr.add_argument("--t-max", type=float,
                    help=f"input window, the time unit ({_default(_D.t_max)})")
    tr.add_argument("--min-slope", type=float,
                    help="STDBP guard: gradients divide by max(sum_C w, this) "
                    f"({_default(_D.min_slope)})")
    tr.add_argument("--clip-grad", type=float, metavar="NORM",
                    help="scale a batch's gradient (all weights together) down to this norm "
                    f"before Adam's step; 0 for none ({_default(_D.clip_grad)})")
    tr.add_argument("--time-penalty", type=float, metavar="GAMMA",
                    help="adds GAMMA * (the target output's spike time / t_max) to the loss, "
                    f"pulling the outputs early ({_default(_D.time_penalty)})")
    tr.add_argument("--amsgrad", action="store_true", default=None,
                    help="Adam's AMSGrad variant: a weight's step size never grows back after "
                    "its gradients go quiet")
    tr.add_argument("--augment", type=int, metavar="PIXELS",
                    help="move each training image by a random offset of up to this many "
                    f"pixels along each axis, each time it is drawn ({_default(_D.augment)})")
    tr.add_argument("--margin", type=float, metavar="M",
                    help="in the loss, an output more than M later than the target counts as "
                    f"M later: no push once the target leads by M; 0 for none "
                    f"({_default(_D.margin)})")
    tr.add_argument("--dropout", type=float, metavar="P",
                    help="drop each spike into a fully connected layer with probability P "
                    f"while training ({_default(_D.dropout)})")
    tr.add_argument("--max-train", type=int, help="use only the first N training samples")
    tr.add_argument("--data-path", help="a local copy of the data set instead of downloading")
    tr.add_argument("--no-download", action="store_true",
                    help="fail instead of downloading a file missing from the cache")
    tr.add_argument("--no-save", action="store_true", help="do not store the run")
    tr.add_argument("--name", default="", help="a name for the stored run")
    tr.add_argument("--threads", type=thread_count, default=None,
                    help=f"CPU threads of the compiled layers, 1 to {MAX_THREADS} (default: "
                    "one per core; on a machine busy with other work, 1)")
    add_json_flag(tr)
    tr.set_defaults(func=run_train)


_FLAGS = ("arch", "psp", "hidden", "conv_channels", "conv", "pool", "encoding", "epochs",
          "batch_size", "lr", "seed", "theta", "t_max", "min_slope", "max_train", "data_path",
          "bias_spike", "lr_scaling", "clip_grad", "amsgrad", "augment",
          "time_penalty", "dropout", "margin")  # RelpspConfig's


def _config(args: argparse.Namespace) -> RelpspConfig:
    """The data set's configuration with the flags given (``default_config``)."""
    return default_config(args.dataset, **{name: getattr(args, name) for name in _FLAGS})


def _show(p: Progress) -> None:
    """Batch progress, every tenth of an epoch, for epochs long enough to need it."""
    if p.batches >= 200 and p.batch % (p.batches // 10) == 0:
        progress(f"epoch {p.epoch}/{p.epochs}: batch {p.batch}/{p.batches}, loss {p.loss:.4f}")


def _epoch_line(record: dict[str, Any]) -> str:
    dead = ", ".join(f"{k} {v['dead_ratio']:.2f}" for k, v in record["layers"].items())
    return (
        f"epoch {record['epoch']}: loss {record['loss']:.4f}, "
        f"train {record['train_accuracy']:.3f}, test {record['test_accuracy']:.3f}, "
        f"dead ({dead}), {record['seconds']:.1f} s"
    )


def run_train(args: argparse.Namespace) -> dict[str, Any]:
    config = _config(args)
    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    from core.data import load_dataset
    from core.data.base import DataUnavailable
    from core.relpsp.runs import finite_or_none, save_report
    from core.relpsp.train import prepare, train
    from core.store import RunStore

    try:
        dataset = load_dataset(config.dataset, config.data_path, download=not args.no_download)
    except DataUnavailable as exc:
        raise UserError(str(exc)) from None
    data = prepare(dataset, config)
    progress(
        f"training a {config.psp} network ({config.arch}"
        f"{', conv ' + config.conv if config.conv else ''}, hidden {list(config.hidden)}) on "
        f"{config.dataset}: {len(data.y_train)} train, {len(data.y_test)} test samples"
    )
    shown: set[int] = set()

    def report(p: Progress | str) -> None:
        if isinstance(p, str):  # a final pass
            progress(p)
            return
        for record in p.history:
            if record["epoch"] not in shown:
                shown.add(record["epoch"])
                progress(_epoch_line(record))
        _show(p)

    with stop_on_interrupt() as stop:  # Ctrl-C: stop at the next batch, keep the run
        result = train(config, data, progress=report, stop=stop)
    if result.history and result.history[-1]["epoch"] not in shown:
        progress(_epoch_line(result.history[-1]))
    run_id = None if args.no_save else save_report(RunStore(), result, name=args.name).run_id
    out = {key: finite_or_none(value) for key, value in result.metrics().items()}
    out["run_id"] = run_id
    out.update(dataset=config.dataset, psp=config.psp, arch=config.arch,
               hidden=list(config.hidden), epochs=config.epochs, seed=config.seed,
               conv=config.conv or None, dead_ratio_per_epoch=dead_ratios(result.history))
    return out


def dead_ratios(history: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Each layer's dead-neuron ratio after every epoch (the evaluation batch's)."""
    out: dict[str, list[float]] = {}
    for record in history:
        for name, layer in record["layers"].items():
            out.setdefault(name, []).append(layer["dead_ratio"])
    return out
