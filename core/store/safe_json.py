"""JSON from users and from stored records, read without a ``RecursionError``.

Python's JSON parser recurses once per ``[`` or ``{``: a file nested 10,000 deep raises
``RecursionError``, which no ``except ValueError`` catches (a CLI traceback, an exception box on a
page). ``loads`` counts the nesting first, skipping strings, and refuses anything deeper than
``LIMITS.json_depth`` with one sentence (a ``ValueError``) before parsing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from core.limits import LIMITS

# A whole JSON string (escapes included), or one bracket; everything else is skipped.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def nesting(text: str, stop_above: int | None = None) -> int:
    """How deep ``[`` and ``{`` nest in ``text`` (brackets inside strings do not count);
    counting ends as soon as the depth passes ``stop_above``."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if stop_above is not None and deepest > stop_above:
                break
        elif char in "]}":
            depth -= 1
    return deepest


def too_deep(what: str, limit: int) -> str:
    return f"{what} nests more than {limit} levels of lists and objects, the limit here; refused."


def loads(data: str | bytes, what: str = "This JSON", limit: int = LIMITS.json_depth) -> Any:
    """``json.loads`` after refusing nesting deeper than ``limit``. ``ValueError`` (one line)
    when too deep; ``json.JSONDecodeError`` and ``UnicodeDecodeError`` (both ValueErrors) as
    ``json.loads`` raises them."""
    text = data.decode(json.detect_encoding(data)) if isinstance(data, bytes) else data
    if nesting(text, stop_above=limit) > limit:
        raise ValueError(too_deep(what, limit))
    try:
        return json.loads(text)
    except RecursionError:  # not reached after the count; kept so no traceback can escape
        raise ValueError(too_deep(what, limit)) from None
