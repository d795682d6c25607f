"""Refuse work that cannot fit in this machine's memory, before allocating any of it."""

from __future__ import annotations

import os

USABLE = 0.8  # of the machine's physical memory


def machine_bytes() -> int:
    """Physical memory of this machine, in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(need: int, sizes: str, advice: str, limit: int | None = None) -> None:
    """``ValueError`` naming the sizes and the limit when ``need`` bytes cannot fit."""
    limit = int(USABLE * machine_bytes()) if limit is None else limit
    if need > limit:
        raise ValueError(f"This run needs about {need / 1e9:,.1f} GB of memory ({sizes}), more "
                         f"than the {limit / 1e9:,.1f} GB this machine can give: {advice}.")
