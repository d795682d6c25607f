"""The one timing loop of every benchmark: warm-up, interleaved rounds, medians.

Each function is called ``warmup`` times first (its first call's result is kept: a training
step's step-1 loss). Then come ``repeats`` rounds; in round ``r`` every function runs once, the
order rotated by ``r`` places (so none always follows another's cache traffic), and each
function's time is the median of its rounds. One function alone is the plain median of
``repeats`` calls after warm-up. The clock is a parameter, so tests drive it by hand.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")
Clock = Callable[[], float]
#: What a suite says as it goes (one message per build, per round, per memory pass), for people
#: to read; not ``core.progress.Progress``, a training loop's position.
Say = Callable[[str], None]


def timed(fn: Callable[[], T], clock: Clock = time.perf_counter) -> tuple[T, float]:
    """``fn()``'s result and the seconds it took by ``clock``."""
    start = clock()
    result = fn()
    return result, clock() - start


def round_robin(
    fns: Mapping[str, Callable[[], object]],
    warmup: int,
    repeats: int,
    progress: Say | None = None,
    clock: Clock = time.perf_counter,
) -> tuple[dict[str, float], dict[str, object]]:
    """Median seconds of each function over ``repeats`` rotating rounds, after ``warmup`` calls
    each (at least one); also what each function's first call returned. ``progress`` hears
    ``"round r/R"`` once at the start of each round."""
    first: dict[str, object] = {}
    for name, fn in fns.items():
        first[name] = fn()
        for _ in range(warmup - 1):
            fn()
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        if progress is not None:
            progress(f"round {r + 1}/{repeats}")
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(timed(fns[name], clock)[1])
    return {name: statistics.median(v) for name, v in times.items()}, first


def median_ms(fn: Callable[[], object], repeats: int, clock: Clock = time.perf_counter) -> float:
    """Median milliseconds of ``fn`` over ``repeats`` calls after one warm-up call."""
    seconds, _ = round_robin({"fn": fn}, 1, repeats, clock=clock)
    return seconds["fn"] * 1000.0
