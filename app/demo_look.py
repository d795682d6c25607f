"""The number a demo's page shows, for the demo's banner on that page (the gallery's card
quotes the same sentence): ``core.demos.promise`` of the engine's expectations.

The expectations take a few seconds the first time (Numba compiles the loops they run), so the
server computes them once in the background as it starts (``warm_up``); a demo page opened
before they are ready waits for them."""

from __future__ import annotations

import functools
import threading
from typing import Any

from core.demos import PROMISES, expectations, promise

_COMPUTING = threading.Lock()  # a page that asks while the warm-up computes waits for it


def demo_numbers() -> dict[str, dict[str, Any]]:
    """What the computed demos' pages show (``core.demos.expectations``), computed once per
    server process and shared by every session."""
    with _COMPUTING:
        return _numbers()


@functools.cache
def _numbers() -> dict[str, dict[str, Any]]:
    return expectations()


@functools.cache
def warm_up() -> None:
    """Compute ``demo_numbers`` in a background thread (no Streamlit call in it)."""
    threading.Thread(target=demo_numbers, daemon=True, name="spikelab-demo-numbers").start()


def look_for(demo_id: str) -> str | None:
    """The sentence with the numbers to look for on the demo's page; None for a demo that
    needs a run first (its numbers come from that run)."""
    if demo_id not in PROMISES:
        return None
    return promise(demo_id, demo_numbers().get(demo_id))
