"""Alpha-PSP layers with exact spike times, trained by the same spike-timing rule, to compare.

The alpha kernel K(s) = (s / tau) * exp(1 - s / tau) (s > 0) peaks at 1 when s = tau, so a
neuron whose weights are small never reaches theta: it is dead, and gives no gradient. On the
interval where the causal set C is fixed,

    V(t) = (e / tau) * exp(-t / tau) * (A t - B),   A = sum_C w_i e^{t_i / tau},
                                                    B = sum_C w_i t_i e^{t_i / tau},

and the first crossing of theta is t = B / A - tau * W0(z), z = -(theta / (e A)) e^{B / (A tau)},
with W0 the principal branch of Lambert's W (Comsa et al., "Temporal coding in spiking neural
networks with alpha synaptic function", ICASSP 2020). A crossing exists only for A > 0 and
z >= -1/e; as in ``core.relpsp.functional`` the first prefix of the sorted inputs whose crossing
lies before the next input gives the spike.

The gradient is the same spike-timing rule as STDBP, from the implicit function V(t_j) = theta:

    dt_j/dw_i = -K(t_j - t_i) / V'(t_j),     dt_j/dt_i = w_i K'(t_j - t_i) / V'(t_j),

which for the ReL-PSP kernel (K = max(0, s), V' = sum_C w) is exactly STDBP. V'(t_j) -> 0 as the
peak of V only grazes theta, so the gradients explode; the same guard, V' bounded below by
``min_slope``, is applied.
"""

from __future__ import annotations

import math

import torch

from core.relpsp.functional import DEFAULT_MIN_SLOPE, sort_spikes

_INV_E = math.exp(-1.0)


def lambert_w0(z: torch.Tensor, iterations: int = 12) -> torch.Tensor:
    """Principal branch W0(z) for z in [-1/e, 0] (Halley's iteration), elementwise.

    Values outside that range are clamped into it; callers mask them out.
    """
    z = z.clamp(min=-_INV_E, max=0.0)
    p = torch.sqrt((2.0 * (math.e * z + 1.0)).clamp(min=0.0))
    near_branch = -1.0 + p - p * p / 3.0 + 11.0 / 72.0 * p**3
    w = torch.where(z < -0.25, near_branch, z * (1.0 - z))
    for _ in range(iterations):
        ew = torch.exp(w)
        f = w * ew - z
        wp1 = w + 1.0
        denom = ew * wp1 - (w + 2.0) * f / (2.0 * wp1).clamp(min=1e-300)
        step = torch.where(denom.abs() > 0, f / denom, torch.zeros_like(f))
        w = torch.where(wp1.abs() > 1e-12, w - step, w).clamp(min=-1.0)
    return w


def alpha_times(
    t_in: torch.Tensor, weight: torch.Tensor, theta: float, tau: float
) -> torch.Tensor:
    """Exact first-spike times [batch, n_out] of an alpha-PSP layer; ``inf`` when silent."""
    if not theta > 0:
        raise ValueError(f"The threshold theta must be greater than 0 (got {theta}).")
    if not tau > 0:
        raise ValueError(f"The alpha time constant tau must be positive (got {tau}).")
    with torch.no_grad():
        t_sorted, order = sort_spikes(t_in.double())
        finite = torch.isfinite(t_sorted)
        t_fin = torch.where(finite, t_sorted, torch.zeros_like(t_sorted))
        # float64 and a shift by the first input keep exp(t / tau) in range for inputs that
        # span up to ~700 tau (later inputs no longer matter to an alpha neuron's first spike).
        t_ref = t_fin[:, :1]
        rel = t_fin - t_ref
        e_t = torch.exp((rel / tau).clamp(max=700.0)) * finite
        w_sorted = weight.double()[order]  # [batch, n_in, n_out]
        a = torch.cumsum(w_sorted * e_t.unsqueeze(-1), dim=1)
        b = torch.cumsum(w_sorted * (e_t * rel).unsqueeze(-1), dim=1)
        a_safe = torch.where(a > 0, a, torch.ones_like(a))
        # Interval k reaches theta iff A > 0 and V at its highest point inside [t_k, t_k+1]
        # (the peak B/A + tau, clamped to the interval) is >= theta.
        next_finite = torch.cat([finite[:, 1:], torch.zeros_like(finite[:, :1])], dim=1)
        rel_next = torch.cat([rel[:, 1:], rel[:, :1]], dim=1).masked_fill(~next_finite, math.inf)
        peak = b / a_safe + tau
        at = torch.minimum(torch.maximum(peak, rel.unsqueeze(-1)), rel_next.unsqueeze(-1))
        v_max = (math.e / tau) * torch.exp(-at / tau) * (a * at - b)
        valid = (a > 0) & (v_max >= theta) & finite.unsqueeze(-1)
        first = torch.argmax(valid.to(torch.uint8), dim=1, keepdim=True)
        a_k = torch.gather(a_safe, 1, first).squeeze(1)
        ratio = torch.gather(b, 1, first).squeeze(1) / a_k
        z = -(theta / (math.e * a_k)) * torch.exp((ratio / tau).clamp(max=700.0))
        out = t_ref + ratio - tau * lambert_w0(z)
        out = torch.where(valid.any(dim=1), out, torch.full_like(out, float("inf")))
        return out.to(t_in.dtype)


def _kernels(
    t_in: torch.Tensor, t_out: torch.Tensor, tau: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """K(t_j - t_i) and K'(t_j - t_i), [batch, n_in, n_out], zero outside the causal set."""
    lag = t_out.unsqueeze(1) - t_in.unsqueeze(-1)
    causal = (lag > 0) & torch.isfinite(lag)
    s = torch.where(causal, lag, torch.zeros_like(lag)) / tau
    decay = torch.exp(1.0 - s) * causal
    return s * decay, (1.0 - s) * decay / tau


def alpha_slope(
    t_in: torch.Tensor, weight: torch.Tensor, t_out: torch.Tensor, tau: float
) -> torch.Tensor:
    """V'(t_j) [batch, n_out] at each spike (0 for silent neurons)."""
    return torch.einsum("bij,ij->bj", _kernels(t_in, t_out, tau)[1], weight)


def alpha_grads(
    grad_out: torch.Tensor,
    t_in: torch.Tensor,
    weight: torch.Tensor,
    t_out: torch.Tensor,
    tau: float,
    min_slope: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(dL/dt_in, dL/dw) by the implicit spike-timing rule, with V' bounded by ``min_slope``."""
    fired = torch.isfinite(t_out)
    kernel, d_kernel = _kernels(t_in, t_out, tau)
    slope = torch.einsum("bij,ij->bj", d_kernel, weight)
    g = torch.where(fired, grad_out, torch.zeros_like(grad_out)) / slope.clamp(min=min_slope)
    grad_t_in = torch.einsum("bij,ij,bj->bi", d_kernel, weight, g)
    grad_w = -torch.einsum("bij,bj->ij", kernel, g)
    return grad_t_in, grad_w


class AlphaSpikeTiming(torch.autograd.Function):
    """Alpha-PSP layer: exact forward times, implicit spike-timing backward."""

    @staticmethod
    def forward(ctx, t_in, weight, theta, tau, min_slope):  # type: ignore[override]
        t_out = alpha_times(t_in, weight, float(theta), float(tau))
        ctx.save_for_backward(t_in, weight, t_out)
        ctx.tau, ctx.min_slope = float(tau), float(min_slope)
        return t_out

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        t_in, weight, t_out = ctx.saved_tensors
        grads = alpha_grads(grad_out, t_in, weight, t_out, ctx.tau, ctx.min_slope)
        return grads[0], grads[1], None, None, None


def alpha_layer(
    t_in: torch.Tensor,
    weight: torch.Tensor,
    theta: float,
    tau: float,
    min_slope: float = DEFAULT_MIN_SLOPE,
) -> torch.Tensor:
    """Spike times of an alpha-PSP layer, differentiable by the spike-timing rule."""
    if not min_slope > 0:
        raise ValueError(f"min_slope, the gradient guard, must be positive (got {min_slope}).")
    return AlphaSpikeTiming.apply(t_in, weight, theta, tau, min_slope)
