"""SpikeLab's one way to compile a loop with Numba (the fast engine's and ReL-PSP's kernels)."""

from __future__ import annotations

import numba
import torch


def jit(**flags):
    """``numba.njit`` releasing the GIL, its machine code cached on disk where a cache directory
    is writable (``__pycache__`` beside the source file, else the user's): a later process loads
    it instead of compiling for seconds. (``cache=True`` would refuse to import where none is
    writable.)"""

    def wrap(fn):
        compiled = numba.njit(nogil=True, **flags)(fn)
        try:
            compiled.enable_caching()
        except RuntimeError:  # no writable cache directory: compile in each process
            pass
        return compiled

    return wrap


def match_torch_threads() -> int:
    """Numba's parallel loops run on as many threads as PyTorch's (``--threads``); returns it.

    Numba's OpenMP layer shares PyTorch's OpenMP runtime (one thread pool, no two pools
    spinning against each other), and starting it sets that runtime's thread count to all
    cores: PyTorch's own count is put back afterwards.
    """
    torch_threads = torch.get_num_threads()
    wanted = max(1, min(torch_threads, numba.config.NUMBA_NUM_THREADS))
    if numba.get_num_threads() != wanted:
        numba.set_num_threads(wanted)
    if torch.get_num_threads() != torch_threads:
        torch.set_num_threads(torch_threads)
    return wanted
