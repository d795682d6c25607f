"""The heap policy of a SpikeLab process: large training buffers are reused, not re-faulted.

The kernels' modules (``core.engine.compiled``, ``core.nas.fast_lif``) apply it when imported.
"""

from __future__ import annotations

import ctypes
import sys


def retain_freed_memory() -> bool:
    """Keep the step's large buffers in the heap when freed, for the next step to reuse.

    glibc returns every freed block above its mmap threshold to the OS, so each training step
    page-faults its tens of MB of fresh buffers in again: 30 of 70 ms of a step at batch 256.
    No block is mmap'd now: all come from the heap (the threshold itself stops at 32 MB, and
    Braille's [T, B, H] buffers are 35 MB: 30,000 page faults, a seventh of its step), and up
    to 512 MB of free heap stays mapped (the allocator tuning PyTorch's CPU guide makes with
    jemalloc or tcmalloc). Where the heap cannot grow, glibc still maps memory. For the whole
    process, so every library timed beside SpikeLab in it gets the same allocator. False
    where glibc is absent.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_max = -1, -4
    return bool(libc.mallopt(m_mmap_max, 0) and libc.mallopt(m_trim_threshold, 512 << 20))
