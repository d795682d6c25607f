"""Sparse helpers of the fast engine: binary spike matrices times dense weights.

Spikes are few (SHD inputs about 2 %, hidden layers often less), so products with them are
computed from the indices of the non-zeros; above ``SPARSE_BELOW`` density a dense multiply
is cheaper and is used instead.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

SPARSE_BELOW = 0.1


def binary_matmul(spikes: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """spikes [B, H] (0/1) @ weights: a sum of the rows of active neurons when spikes are rare."""
    rows, cols = spikes.nonzero(as_tuple=True)
    if rows.numel() > SPARSE_BELOW * spikes.numel():
        return spikes @ weights
    offsets = spikes.new_zeros(spikes.shape[0], dtype=torch.int64)
    offsets[1:] = torch.bincount(rows, minlength=spikes.shape[0]).cumsum(0)[:-1]
    return F.embedding_bag(cols, weights, offsets, mode="sum")


def sparse_t_matmul(mask: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
    """mask^T @ dense for a sparse boolean mask [R, K] and dense [R, M], as a CSR multiply."""
    rows, cols = mask.nonzero(as_tuple=True)
    if rows.numel() > SPARSE_BELOW * mask.numel():
        return mask.to(dense.dtype).T @ dense
    order = torch.argsort(cols, stable=True)
    crow = dense.new_zeros(mask.shape[1] + 1, dtype=torch.int64)
    crow[1:] = torch.bincount(cols, minlength=mask.shape[1]).cumsum(0)
    ones = dense.new_ones(rows.numel())
    return csr(crow, rows[order], ones, (mask.shape[1], mask.shape[0])) @ dense


def csr(
    crow: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, shape: tuple[int, int]
) -> torch.Tensor:
    """A CSR matrix from indices we built ourselves (valid by construction, so unchecked)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "CSR support is in beta"
        return torch.sparse_csr_tensor(crow, cols, values, size=shape, check_invariants=False)


class InputSpikes:
    """One batch of input [T, B, N], held as events when sparse, else as a dense matrix.

    ``project`` gives x W for all steps in one multiply; the weight gradient x^T gh is then
    accumulated step by step inside the backward loop (``add_weight_grad``), while gh[t] is
    still in cache, or in one dense multiply (``dense_weight_grad``) for dense input.
    """

    def __init__(self, x: torch.Tensor):
        self.shape = tuple(x.shape)
        steps, batch, inputs = self.shape
        self.dense: torch.Tensor | None = None
        if x.is_sparse:
            x = x.coalesce()  # sorted by (t, b, n)
            t, b, c = x.indices()
            values = x.values()
        else:
            flat = x.reshape(steps * batch, inputs)
            rows, c = flat.nonzero(as_tuple=True)
            if rows.numel() >= SPARSE_BELOW * flat.numel():
                self.dense = flat
                return
            t, b, values = rows // batch, rows % batch, flat[rows, c]
        self.rows, self.cols, self.values = t * batch + b, c, values
        self.binary = bool((values == 1).all())
        bounds = [0, *torch.bincount(t, minlength=steps).cumsum(0).tolist()]
        self._steps = [
            (b[lo:hi], c[lo:hi], values[lo:hi]) for lo, hi in zip(bounds, bounds[1:], strict=False)
        ]

    def project(self, w1: torch.Tensor) -> torch.Tensor:
        steps, batch, _ = self.shape
        if self.dense is not None:
            return (self.dense @ w1).reshape(steps, batch, -1)
        crow = w1.new_zeros(steps * batch + 1, dtype=torch.int64)
        crow[1:] = torch.bincount(self.rows, minlength=steps * batch).cumsum(0)
        x = csr(crow, self.cols, self.values, (steps * batch, self.shape[2]))
        return (x @ w1).reshape(steps, batch, -1)

    def add_weight_grad(self, grad_w1: torch.Tensor, t: int, grad_h_t: torch.Tensor) -> None:
        """grad_w1 += x[t]^T gh[t] for sparse input."""
        b, c, values = self._steps[t]
        rows = grad_h_t.index_select(0, b)
        grad_w1.index_add_(0, c, rows if self.binary else rows * values[:, None])

    def dense_weight_grad(self, grad_h: torch.Tensor) -> torch.Tensor:
        return self.dense.T @ grad_h.reshape(self.dense.shape[0], -1)
