"""Progress of long work, in one record shape, and the one line (fraction and text) that every
page shows for it.

A job reports (``core.jobs``) one of: a ``Progress`` (a training loop's batch), a ``Count``
(whole items: trials, samples, parts), a ``Step`` (a labelled part of the work and its
``Progress`` or ``Count``: a grid point being trained, a suite's round), a message such as
"loading data", or nothing yet (None). ``progress_line`` reads every one of them the same way;
a richer record (the ReL-PSP job's ``RunsProgress``) is read as a ``Step`` by having ``label``
and ``item`` of its own (``Staged``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable


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


class Step(NamedTuple):
    """A labelled part of a job and how far it is: the grid point being trained and its
    batch, a benchmark suite's round and the parts done (``item`` None while the part starts,
    or a message such as "loading data")."""

    label: str
    item: Progress | Count | str | None = None


@runtime_checkable
class Staged(Protocol):
    """Any report with a ``label`` and an inner ``item``: a ``Step``, or a record that carries
    more (the ReL-PSP job's ``RunsProgress``: the runs saved so far too)."""

    @property
    def label(self) -> str: ...

    @property
    def item(self) -> Progress | Count | str | None: ...


Report = Progress | Count | Step | Staged | str | None  # what a job reports


def fraction(item: Report) -> float:
    """How much of the work is done, in [0, 1] (0 while loading or when open-ended)."""
    if isinstance(item, Staged):
        item = item.item
    if isinstance(item, Progress):
        return min((item.epoch - 1 + item.batch / item.batches) / item.epochs, 1.0)
    if isinstance(item, Count) and item.total:
        return min(item.done / item.total, 1.0)
    return 0.0


def progress_line(item: Report, label: str = "",
                  seconds: float | None = None) -> tuple[float, str]:
    """The fraction and the text of a progress bar, the same on every page.

    ``item`` is what a job last reported (see the module's docstring), None before anything
    was reported (then the label alone is the text); ``label`` names the work being run (a
    suite, a study), put before a ``Step``'s own label; ``seconds`` is the time since the
    start.
    """
    done = fraction(item)
    if isinstance(item, Staged):
        label = f"{label}: {item.label}" if label and item.label else label or item.label
        item = item.item
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
    return done, text


def understood(item: object) -> bool:
    """Whether ``item`` is one of the report shapes ``progress_line`` reads (None is not)."""
    return isinstance(item, Progress | Count | Staged | str)
