"""Dense and sparse (event) forms of a spike tensor, and the memory each takes.

A dense spike tensor S [time, batch, inputs] stores every step of every input. The event form
keeps only the non-zero entries as a COO tensor: indices (time, batch, input) as int64 and one
value each, so its size is 3 * 8 + 4 = 28 bytes per event against 4 bytes per cell when dense;
sparse wins when fewer than 1/7 of the cells hold a spike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


def to_sparse(dense: torch.Tensor) -> torch.Tensor:
    """The COO event form of a spike tensor (coalesced, indices sorted by time first)."""
    return dense.to_sparse_coo().coalesce()


def to_dense(sparse: torch.Tensor) -> torch.Tensor:
    """Back to the dense tensor."""
    return sparse.to_dense()


def dense_bytes(dense: torch.Tensor) -> int:
    return dense.numel() * dense.element_size()


def sparse_bytes(sparse: torch.Tensor) -> int:
    sp = sparse.coalesce()
    idx, val = sp.indices(), sp.values()
    return idx.numel() * idx.element_size() + val.numel() * val.element_size()


@dataclass(frozen=True, eq=False)
class SpikeEncoding:
    """An encoder's output in both forms, with sizes for the pages and the CLI."""

    method: str
    dense: torch.Tensor  # [time, batch, inputs]
    sparse: torch.Tensor  # COO of ``dense``
    dt: float = 1.0

    @classmethod
    def from_dense(cls, method: str, dense: torch.Tensor, dt: float = 1.0) -> SpikeEncoding:
        return cls(method=method, dense=dense, sparse=to_sparse(dense), dt=dt)

    @property
    def num_events(self) -> int:
        return int(self.sparse._nnz())

    @property
    def dense_bytes(self) -> int:
        return dense_bytes(self.dense)

    @property
    def sparse_bytes(self) -> int:
        return sparse_bytes(self.sparse)

    @property
    def density(self) -> float:
        """Fraction of cells holding a spike."""
        return self.num_events / max(self.dense.numel(), 1)

    def events(self, batch_index: int | None = None) -> dict[str, np.ndarray]:
        """The event table: time step, time (ms), batch, input index and value per event."""
        idx = self.sparse.indices().numpy()
        val = self.sparse.values().numpy()
        keep = np.ones(val.shape[0], bool) if batch_index is None else idx[1] == batch_index
        return {
            "step": idx[0][keep],
            "time": idx[0][keep] * self.dt,
            "batch": idx[1][keep],
            "input": idx[2][keep],
            "value": val[keep],
        }

    def memory(self) -> dict[str, float | int]:
        return {
            "events": self.num_events,
            "cells": int(self.dense.numel()),
            "density": self.density,
            "dense_bytes": self.dense_bytes,
            "sparse_bytes": self.sparse_bytes,
        }
