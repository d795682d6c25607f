"""Progress of long work: what a training loop reports after each batch, and the one line
(fraction and text) that every page shows for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Progress:
    """One finished batch: where the run is, the batch's loss and the finished epochs."""

    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, within the epoch
    batches: int
    loss: float
    history: tuple[dict[str, Any], ...]  # finished epochs


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class Count:
    """Progress counted in whole items: the trials of a search, say."""

    done: int
    total: int | None  # None: open-ended (a time budget)
    unit: str


def fraction(item: Progress | Count | str | None) -> float:
    """How much of the work is done, in [0, 1] (0 while loading or when open-ended)."""
    if isinstance(item, Progress):
        return min((item.epoch - 1 + item.batch / item.batches) / item.epochs, 1.0)
    if isinstance(item, Count) and item.total:
        return min(item.done / item.total, 1.0)
    return 0.0


def progress_line(item: Progress | Count | str | None, label: str = "",
                  seconds: float | None = None) -> tuple[float, str]:
    """The fraction and the text of a progress bar, the same on every page.

    ``item`` is what a job last reported: a ``Progress`` of a training loop, a ``Count``, a
    message such as "loading data", or None before anything was reported (then the label alone
    is the text); ``label`` names the part being run (a configuration, a grid point);
    ``seconds`` is the time since the start.
    """
    if isinstance(item, Progress):
        body = (f"epoch {item.epoch}/{item.epochs}, batch {item.batch}/{item.batches}, "
                f"loss {item.loss:.4f}")
    elif isinstance(item, Count):
        body = f"{item.done} of {item.total if item.total is not None else '?'} {item.unit}"
    else:
        body = item or ("" if label else "starting")
    text = f"{label} - {body}" if label and body else label or body
    if seconds is not None:
        text += f" ({seconds:.0f} s)"
    return fraction(item), text
