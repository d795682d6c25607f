"""Unpickle data files without running arbitrary code.

A pickle can name any importable callable; ``pickle.load`` would call it. The data sets here
(the SpyTorch Braille file, CIFAR-10 batches) hold only lists, dicts, strings, numbers and numpy
arrays, so the unpickler below resolves just the numpy names needed to rebuild arrays and
refuses everything else. Files are also checksum-verified before they reach it.
"""

from __future__ import annotations

import importlib
import io
import pickle

# (module, name) pairs a numpy array pickle refers to; numpy 2 moved numpy.core to numpy._core.
_ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """An ``Unpickler`` that only rebuilds numpy arrays and plain Python containers."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: data files may hold only arrays and plain data"
            )
        module = module.replace("numpy.core.", "numpy._core.")
        return getattr(importlib.import_module(module), name)


def safe_loads(data: bytes, encoding: str = "ASCII") -> object:
    """Unpickle ``data`` with ``RestrictedUnpickler`` (``encoding='latin1'`` for Python 2)."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()
