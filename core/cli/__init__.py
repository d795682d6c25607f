"""SpikeLab's command line: ``python -m core COMMAND ...``.

Every command prints progress to stderr and, with ``--json``, one JSON object as the last line
of stdout. Bad arguments and impossible parameters exit with status 2 and a one-line message;
no traceback reaches the user (set ``SPIKELAB_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from core.cli import bench, demos, encode, energy, nas, neurons, nir, train
from core.cli.common import UserError, progress
from core.data.registry import DATASET_INFO

NEGATIVE = re.compile(r"^-(\d|\.\d)")  # a negative number or list, never an option name

# Each module adds its sub-commands with ``register(subparsers)``; a sub-command stores its
# handler as ``func`` (args -> result dict).
COMMAND_MODULES = (neurons, bench, encode, nas, train, energy, nir, demos)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        self.exit(2, f"error: {self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="SpikeLab engine commands.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def emit(result: dict[str, Any], as_json: bool) -> None:
    """Print the result: one JSON line, or ``key: value`` lines for people."""
    if as_json:
        try:
            text = json.dumps(result, allow_nan=False)
        except ValueError:  # an overflow to inf, or a nan: strict JSON has no word for either
            raise UserError("The result holds an infinite or undefined number (it overflowed): "
                            "use smaller inputs.") from None
        print(text)
        return
    for key, value in result.items():
        text = json.dumps(value)
        print(f"{key}: {text if len(text) <= 200 else text[:197] + '...'}")


def join_negative_values(argv: Sequence[str]) -> list[str]:
    """``--weights -0.5,0.3`` -> ``--weights=-0.5,0.3``: argparse reads a value that starts
    with a minus sign and is not a plain number as an option of its own."""
    out: list[str] = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and NEGATIVE.match(token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def note_unused_data_path(args: argparse.Namespace) -> None:
    """Say so when ``--data-path`` is given for a data set that needs no file (digits)."""
    name, path = getattr(args, "dataset", None), getattr(args, "data_path", None)
    if name in DATASET_INFO and path and DATASET_INFO[name].offline:
        progress(f"note: {name} needs no file (it ships with SpikeLab's dependencies); "
                 f"--data-path {path} is not used.")


def main(argv: Sequence[str] | None = None) -> int:
    argv = join_negative_values(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    note_unused_data_path(args)
    handler: Callable[[argparse.Namespace], dict[str, Any]] = args.func
    try:
        result = handler(args)
        emit(result, getattr(args, "json", False))
    except (ValueError, UserError, OSError) as exc:
        if os.environ.get("SPIKELAB_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RecursionError:  # a structure nested past what Python can walk: one line too
        if os.environ.get("SPIKELAB_DEBUG"):
            raise
        print("error: the input is nested too deeply to be read.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0
