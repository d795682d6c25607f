"""ReL-PSP layers as first written, the oracle of ``core.relpsp.functional``'s tests.

Every prefix of the time-sorted inputs is evaluated for every sample and neuron at once
([batch, inputs, neurons] tensors), which is simple and exact but moves a lot of memory: on
784-800-10 it takes about 0.27 s per batch of 32. The fast layer gives the same times and
gradients (``tests/test_relpsp_fast.py``).

The model, the spike-time rule and STDBP's gradients (Zhang et al., IEEE TNNLS 33(5), 2022)
are described once, in ``core.relpsp.functional``.
"""

from __future__ import annotations

import math

import torch

# Gradients are bounded by 1 / min_slope (slope in threshold units per unit time).
DEFAULT_MIN_SLOPE = 0.3


def sort_spikes(t_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Input times sorted per sample and their input indices, [batch, k] each.

    Silent inputs (``inf``) sort last; the columns past the largest number of spiking inputs in
    the batch are dropped, since they never enter a causal set (k >= 1).
    """
    t_sorted, order = torch.sort(t_in, dim=1, stable=True)
    k = max(int(torch.isfinite(t_sorted).sum(dim=1).max()), 1) if t_in.shape[0] else 1
    return t_sorted[:, :k], order[:, :k]


def relpsp_times(t_in: torch.Tensor, weight: torch.Tensor, theta: float) -> torch.Tensor:
    """Exact first-spike times of a ReL-PSP layer (no gradient).

    Args:
        t_in: input spike times [batch, n_in]; ``inf`` where an input stays silent.
        weight: weights [n_in, n_out].
        theta: firing threshold (> 0).

    Returns:
        Output spike times [batch, n_out]; ``inf`` for neurons that never fire.
    """
    if not theta > 0:
        raise ValueError(f"The threshold theta must be greater than 0 (got {theta}).")
    with torch.no_grad():
        t_sorted, order = sort_spikes(t_in)
        finite = torch.isfinite(t_sorted)
        w_cum = weight[order]  # [batch, k, n_out]; the buffers below are reused in place
        w_cum.mul_(finite.unsqueeze(-1))
        t_cand = w_cum * torch.where(finite, t_sorted, 0.0).unsqueeze(-1)
        torch.cumsum(w_cum, dim=1, out=w_cum)
        torch.cumsum(t_cand, dim=1, out=t_cand)
        t_cand.add_(theta).div_(w_cum)  # (theta + sum_C w t) / sum_C w for every prefix C
        t_next = torch.cat([t_sorted[:, 1:], torch.full_like(t_sorted[:, :1], math.inf)], 1)
        valid = w_cum > 0
        valid &= t_cand >= t_sorted.unsqueeze(-1)
        valid &= t_cand <= t_next.unsqueeze(-1)
        first = torch.argmax(valid.view(torch.uint8), dim=1, keepdim=True)
        fires = torch.gather(valid, 1, first).squeeze(1)
        chosen = torch.gather(t_cand, 1, first).squeeze(1)
        return torch.where(fires, chosen, math.inf)


def causal_slope(t_in: torch.Tensor, weight: torch.Tensor, t_out: torch.Tensor) -> torch.Tensor:
    """V_j'(t_j) = sum_{i in C} w_ij [batch, n_out] (0 for silent neurons)."""
    t_sorted, order = sort_spikes(t_in)
    causal = (t_sorted.unsqueeze(-1) < t_out.unsqueeze(1)) & torch.isfinite(t_out).unsqueeze(1)
    return (weight[order] * causal).sum(dim=1)


def stdbp_grads(
    grad_out: torch.Tensor,
    t_in: torch.Tensor,
    weight: torch.Tensor,
    t_out: torch.Tensor,
    min_slope: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """STDBP: (dL/dt_in, dL/dw) from dL/dt_out, with the slope bounded below by ``min_slope``.

    Works on the time-sorted spiking inputs; C = {i : t_i < t_j} (both finite).
    """
    t_sorted, order = sort_spikes(t_in)
    fired = torch.isfinite(t_out)
    causal = t_sorted.unsqueeze(-1) < t_out.unsqueeze(1)  # [batch, k, n_out]
    causal &= fired.unsqueeze(1)
    w_c = weight[order]
    w_c.mul_(causal)
    g = torch.where(fired, grad_out, 0.0) / w_c.sum(dim=1).clamp(min=min_slope)
    grad_sorted = torch.bmm(w_c, g.unsqueeze(-1)).squeeze(-1)  # sum_j C w_ij g_j
    lag = torch.where(torch.isfinite(t_sorted), t_sorted, 0.0).unsqueeze(-1)
    lag = lag - torch.where(fired, t_out, 0.0).unsqueeze(1)  # t_i - t_j
    lag.mul_(g.unsqueeze(1)).mul_(causal)
    grad_w = torch.zeros_like(weight).index_add_(0, order.reshape(-1), lag.flatten(0, 1))
    grad_t_in = torch.zeros_like(t_in).scatter_(1, order, grad_sorted)
    return grad_t_in, grad_w


class STDBP(torch.autograd.Function):
    """ReL-PSP layer forward (exact event-driven times) with STDBP's analytic backward."""

    @staticmethod
    def forward(ctx, t_in, weight, theta, min_slope):  # type: ignore[override]
        t_out = relpsp_times(t_in, weight, float(theta))
        ctx.save_for_backward(t_in, weight, t_out)
        ctx.min_slope = float(min_slope)
        return t_out

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        t_in, weight, t_out = ctx.saved_tensors
        grad_t_in, grad_w = stdbp_grads(grad_out, t_in, weight, t_out, ctx.min_slope)
        return grad_t_in, grad_w, None, None


def relpsp_layer(
    t_in: torch.Tensor, weight: torch.Tensor, theta: float, min_slope: float = DEFAULT_MIN_SLOPE
) -> torch.Tensor:
    """Spike times of a ReL-PSP layer, differentiable with STDBP (see the module docstring)."""
    if not min_slope > 0:
        raise ValueError(f"min_slope, the gradient guard, must be positive (got {min_slope}).")
    return STDBP.apply(t_in, weight, theta, min_slope)
