"""SpikeLab's one way to compile a loop with Numba (the fast engine's and ReL-PSP's kernels)."""

from __future__ import annotations

import numba


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
