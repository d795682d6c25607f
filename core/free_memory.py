"""Refuse work that cannot fit in this machine's memory, before allocating any of it.

The limit is what is free now, not a share of the machine alone: several sessions of one
server may each start the largest run allowed, and the memory that running jobs (and every other
program) already hold is not there for the next one. "Free" is the kernel's estimate of memory
available without swapping (``MemAvailable`` in ``/proc/meminfo``), capped at ``USABLE`` of the
physical memory; where ``/proc`` is missing, that share of the physical memory.
"""

from __future__ import annotations

import os
from pathlib import Path

USABLE = 0.8  # of the machine's physical memory, at most
MEMINFO = Path("/proc/meminfo")


def machine_bytes() -> int:
    """Physical memory of this machine, in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def available_bytes() -> int | None:
    """Memory available now without swapping (``MemAvailable``), or None where unknown."""
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def usable_bytes() -> int:
    """What a new run may take: the memory free now, at most ``USABLE`` of the machine."""
    share = int(USABLE * machine_bytes())
    free = available_bytes()
    return share if free is None else min(share, free)


def check_memory(need: int, sizes: str, advice: str, limit: int | None = None) -> None:
    """``ValueError`` naming the sizes and the limit when ``need`` bytes cannot fit now."""
    now = limit is None
    limit = usable_bytes() if limit is None else limit
    if need > limit:
        free = " now (what is free beside the jobs already running)" if now else ""
        raise ValueError(f"This run needs about {need / 1e9:,.1f} GB of memory ({sizes}), more "
                         f"than the {limit / 1e9:,.1f} GB this machine can give{free}: "
                         f"{advice}.")
