"""The value checks every configuration class shares: whole numbers, finite numbers, ranges,
probabilities and choices.

Two kinds of helper: predicates (``is_number``, ``is_finite``, ``is_whole``, ``in_range``)
answer yes or no, for a caller that words its own message; checks (``check_whole``,
``check_finite``, ``check_range``, ``check_positive``, ``check_probability``,
``check_choice``) raise ``ValueError`` with one sentence that names the field, says what it
must be and shows what it got, e.g. ``hidden must be a whole number of at least 1 (got 0).``
and return the value on success. ``name`` is written as the sentence should start (``"lr"``,
``"The threshold"``); ``hint`` adds a clause after a semicolon (``"1 means no decay"``).

A number is an ``int`` or a ``float`` (NumPy's scalars included), never a ``bool``: ``True``
is not 1 here. This module imports nothing from SpikeLab, so any module may use it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

#: The largest number float32 holds, 3.4e38: a larger parameter cannot even become a tensor.
MAX_FLOAT32 = 3.4028234663852886e38


def is_number(value: object) -> bool:
    """True for an int or a float (NaN and infinities included); never for a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_finite(value: object) -> bool:
    """True for a number that is neither NaN nor an infinity."""
    return is_number(value) and math.isfinite(value)  # type: ignore[arg-type]


def is_whole(value: object, low: float = -math.inf, high: float = math.inf) -> bool:
    """True for a whole number (2 or 2.0, never True, NaN or inf) from ``low`` to ``high``."""
    if not is_number(value):
        return False
    if not isinstance(value, numbers.Integral):
        if not (math.isfinite(value) and value == int(value)):  # type: ignore[arg-type]
            return False
    return low <= value <= high  # type: ignore[operator]


def in_range(
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> bool:
    """True for a finite number within the bounds (``None``: unbounded; ``*_open``: excluded)."""
    if not is_finite(value):
        return False
    if low is not None and (value <= low if low_open else value < low):  # type: ignore[operator]
        return False
    return high is None or not (value >= high if high_open else value > high)  # type: ignore[operator]


def check_whole(
    name: str, value: object, low: int | None = None, high: int | None = None, hint: str = ""
) -> int:
    """``value`` as an int if it is a whole number from ``low`` to ``high``, else ValueError."""
    lo = -math.inf if low is None else low
    hi = math.inf if high is None else high
    if not is_whole(value, lo, hi):
        raise ValueError(_sentence(name, f"a whole number{_bounds(low, high)}", value, hint))
    return int(value)  # type: ignore[call-overload]


def check_finite(name: str, value: object, hint: str = "") -> float:
    """``value`` if it is a finite number, else ValueError."""
    if not is_finite(value):
        raise ValueError(_sentence(name, "a finite number", value, hint))
    return value  # type: ignore[return-value]


def check_range(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> float:
    """``value`` if it is a finite number within the bounds, else ValueError.

    The sentence says ``greater than 0``, ``0 or more``, ``at most 5``, ``less than 5``,
    ``between 0 and 1`` (both included), ``strictly between 0 and 1`` (both excluded),
    ``a positive number up to 1`` (0 excluded, 1 included) or, for other mixed ends,
    ``greater than 1 and at most 5`` / ``0.05 or more and less than 0.9``.
    """
    if not in_range(value, low, high, low_open=low_open, high_open=high_open):
        what = _interval(low, high, low_open, high_open)
        raise ValueError(_sentence(name, what, value, hint))
    return value  # type: ignore[return-value]


def check_positive(name: str, value: object, high: float | None = None, hint: str = "") -> float:
    """``value`` if it is a finite number above 0 (and at most ``high``), else ValueError."""
    return check_range(name, value, 0, high, low_open=True, hint=hint)


def check_probability(
    name: str, value: object, *, zero: bool = True, one: bool = True, hint: str = ""
) -> float:
    """``value`` if it lies between 0 and 1 (``zero``/``one``: whether the ends are allowed)."""
    return check_range(name, value, 0, 1, low_open=not zero, high_open=not one, hint=hint)


def check_choice(name: str, value: object, choices: Iterable[object], hint: str = "") -> object:
    """``value`` if it is one of ``choices``, else ValueError listing them."""
    options = tuple(choices)
    if value not in options:
        listed = ", ".join(str(c) for c in options)
        raise ValueError(_sentence(name, f"one of {listed}", value, hint))
    return value


def _sentence(name: str, what: str, value: object, hint: str) -> str:
    tail = f"; {hint}" if hint else ""
    return f"{name} must be {what} (got {_shown(value)}){tail}."


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {_num(low)} to {_num(high)}"
    if low is not None:
        return f" of at least {_num(low)}"
    return "" if high is None else f" of at most {_num(high)}"


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None and low_open == high_open:
        return f"{'strictly ' if low_open else ''}between {_num(low)} and {_num(high)}"
    if low == 0 and low_open and high is not None and not high_open:
        return f"a positive number up to {_num(high)}"
    parts = []
    if low is not None:
        parts.append(f"greater than {_num(low)}" if low_open else f"{_num(low)} or more")
    if high is not None:
        parts.append(f"less than {_num(high)}" if high_open else f"at most {_num(high)}")
    return " and ".join(parts) or "a finite number"


def _num(x: float) -> str:
    """1,000 for whole numbers, 0.05 or 3.4e+38 for the others."""
    if isinstance(x, numbers.Integral) or (abs(x) < 1e15 and x == int(x)):
        return f"{int(x):,}"
    return f"{x:.3g}" if abs(x) >= 1e15 else f"{x:g}"


def _shown(value: object) -> str:
    """The value as the sentence shows it: a string quoted and cut, a number as Python does."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"
