"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.neurons.params import MAX_SEED


class UserError(Exception):
    """A problem the user can fix (bad input, missing data); shown as one line."""


def progress(message: str) -> None:
    """Progress for humans goes to stderr, keeping stdout for the JSON result."""
    print(message, file=sys.stderr, flush=True)


def float_list(text: str) -> list[float]:
    """Parse ``1,2.5,3`` into finite floats (an argparse ``type``); NaN and inf are refused."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected finite numbers (no nan or inf), got {text!r}")
    return values


def number(text: str) -> float:
    """A finite float (an argparse ``type``): NaN and inf never reach a simulation."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


#: The largest whole number SQLite stores (run ids, list limits).
MAX_INT = 2**63 - 1


def positive_int(text: str) -> int:
    """A whole number from 1 to ``MAX_INT`` (an argparse ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_INT:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to {MAX_INT:,}, got {value}")
    return value


#: The most torch CPU threads a command sets: torch overflows above 2**31 and crashes later
#: (a segmentation fault) on counts such as 100,000.
MAX_THREADS = 256


def thread_count(text: str) -> int:
    """Torch CPU threads, 1 to ``MAX_THREADS`` (an argparse ``type``)."""
    value = positive_int(text)
    if value > MAX_THREADS:
        raise argparse.ArgumentTypeError(f"at most {MAX_THREADS} threads, got {value:,}")
    return value


def seed_int(text: str) -> int:
    """A random seed from 0 to ``MAX_SEED`` (an argparse ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed must be from 0 to {MAX_SEED:,} (got {value})")
    return value


def stored_studies(text: str) -> Any:
    """The study storage at ``text`` for reading (an Optuna ``RDBStorage``); a missing SQLite
    file is a one-line ``UserError``, not a new empty file."""
    from core.store.studies import existing_storage, shown

    try:
        storage = existing_storage(text)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if storage is None:
        raise UserError(f"There is no study storage at {shown(text)}.")
    return storage


@contextmanager
def stop_on_interrupt() -> Iterator[threading.Event]:
    """An event that Ctrl-C (SIGINT) or SIGTERM sets: the training stops at its next batch.
    A second Ctrl-C interrupts at once."""
    stop = threading.Event()

    def handle(signum: int, _frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        progress("stopping at the next batch (finished epochs are kept) ...")
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    saved = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)
