"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import sys


class UserError(Exception):
    """A problem the user can fix (bad input, missing data); shown as one line."""


def progress(message: str) -> None:
    """Progress for humans goes to stderr, keeping stdout for the JSON result."""
    print(message, file=sys.stderr, flush=True)


def float_list(text: str) -> list[float]:
    """Parse ``1,2.5,3`` into floats (an argparse ``type``)."""
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from None


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
