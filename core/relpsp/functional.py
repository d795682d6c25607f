"""ReL-PSP spike times of whole layers, and STDBP: their exact gradients as an autograd function.

Zhang, Wang, Wu, Chua, Bellotto, Li: "Rectified Linear Postsynaptic Potential Function for
Backpropagation in Deep Spiking Neural Networks", IEEE TNNLS 33(5), 2022.

Neuron j of a layer receives one spike from each input i (time t_i, ``inf`` for none) and
integrates V_j(t) = sum_i w_ij * max(0, t - t_i). It fires once, at

    t_j = (theta + sum_{i in C} w_ij t_i) / sum_{i in C} w_ij,

where the causal set C is the first prefix of the time-sorted inputs for which the slope
sum_C w_ij is positive and t_j falls before the next input (``core.neurons.relpsp`` has the
same rule for one neuron). Differentiating this expression gives STDBP's gradients

    dt_j/dt_i = w_ij / sum_C w_ij,      dt_j/dw_ij = (t_i - t_j) / sum_C w_ij,   (i in C)

and zero for inputs outside C and for silent neurons. ``sum_C w_ij`` is V_j'(t_j), the slope at
the threshold crossing: when it is small a tiny change of a weight moves the spike a lot and the
gradients explode. The rule chosen here (``min_slope``): the backward pass divides by
max(sum_C w_ij, min_slope), so the forward times stay exact while every gradient factor is
bounded by 1 / min_slope. It is preferred to clipping the final gradients because it limits
exactly the factor that explodes and leaves well-conditioned neurons untouched. (With Adam on
digits, 64-128-10, the test accuracy is 0.94-0.95 for min_slope from 1e-6 to 1, so there the
guard bounds the gradient sizes the page shows rather than changing the result.)

How it is computed. On the CPU, ``core.relpsp.kernels`` (compiled with Numba) sorts each
sample's inputs once and walks them in order with every neuron's running sums in a vector; the
backward pass walks each causal set the same way. Other devices take ``core.relpsp.reference``'s
dense computation, which evaluates every prefix of every sample for every neuron at once
([batch, inputs, neurons] tensors). Both give the same times and gradients up to rounding
(``tests/test_relpsp_fast.py``, ``tests/test_relpsp_kernels.py``).
"""

from __future__ import annotations

import torch

from core.relpsp import kernels, reference
from core.relpsp.reference import DEFAULT_MIN_SLOPE, sort_spikes

__all__ = ["DEFAULT_MIN_SLOPE", "STDBP", "causal_slope", "relpsp_layer", "relpsp_times",
           "sort_spikes", "stdbp_grads"]


def _on_cpu(*tensors: torch.Tensor) -> bool:
    return all(t.device.type == "cpu" for t in tensors)


def _check(theta: float) -> None:
    if not theta > 0:
        raise ValueError(f"The threshold theta must be greater than 0 (got {theta}).")


def relpsp_times(t_in: torch.Tensor, weight: torch.Tensor, theta: float) -> torch.Tensor:
    """Exact first-spike times of a ReL-PSP layer (no gradient).

    Args:
        t_in: input spike times [batch, n_in]; ``inf`` where an input stays silent.
        weight: weights [n_in, n_out].
        theta: firing threshold (> 0).

    Returns:
        Output spike times [batch, n_out] in the weights' dtype; ``inf`` for neurons that
        never fire.
    """
    _check(theta)
    if not _on_cpu(t_in, weight):
        return reference.relpsp_times(t_in, weight, float(theta))
    return kernels.spike_times(kernels.Sorted(t_in, weight.dtype), weight, float(theta))[0]


def causal_slope(t_in: torch.Tensor, weight: torch.Tensor, t_out: torch.Tensor) -> torch.Tensor:
    """V_j'(t_j) = sum_{i in C} w_ij [batch, n_out] (0 for silent neurons)."""
    if not _on_cpu(t_in, weight, t_out):
        return reference.causal_slope(t_in, weight, t_out)
    cs = kernels.causal_sets(kernels.Sorted(t_in, weight.dtype), weight, t_out)
    return torch.from_numpy(cs.slope).to(weight.dtype)


def stdbp_grads(
    grad_out: torch.Tensor,
    t_in: torch.Tensor,
    weight: torch.Tensor,
    t_out: torch.Tensor,
    min_slope: float,
    saved: tuple[kernels.Sorted, kernels.Causal] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """STDBP: (dL/dt_in, dL/dw) from dL/dt_out, with the slope bounded below by ``min_slope``.

    C = {i : t_i < t_j} (both finite). ``saved``: the forward pass's sorted inputs and causal
    sets of ``t_out``, reused.
    """
    if not _on_cpu(grad_out, t_in, weight, t_out):
        return reference.stdbp_grads(grad_out, t_in, weight, t_out, min_slope)
    srt, cs = saved if saved is not None else (kernels.Sorted(t_in, weight.dtype), None)
    grad_t_in, grad_w = kernels.stdbp(srt, weight, t_out, grad_out, float(min_slope), cs)
    return grad_t_in.to(t_in.dtype), grad_w


class STDBP(torch.autograd.Function):
    """ReL-PSP layer forward (exact event-driven times) with STDBP's analytic backward."""

    @staticmethod
    def forward(ctx, t_in, weight, theta, min_slope):  # type: ignore[override]
        _check(theta)
        if _on_cpu(t_in, weight):
            srt = kernels.Sorted(t_in, weight.dtype)
            t_out, cs = kernels.spike_times(srt, weight, float(theta))
            ctx.saved = (srt, cs)
        else:
            ctx.saved, t_out = None, reference.relpsp_times(t_in, weight, float(theta))
        ctx.save_for_backward(t_in, weight, t_out)
        ctx.min_slope = float(min_slope)
        return t_out

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        t_in, weight, t_out = ctx.saved_tensors
        grad_t_in, grad_w = stdbp_grads(
            grad_out, t_in, weight, t_out, ctx.min_slope, saved=ctx.saved
        )
        ctx.saved = None
        return grad_t_in, grad_w, None, None


def relpsp_layer(
    t_in: torch.Tensor, weight: torch.Tensor, theta: float, min_slope: float = DEFAULT_MIN_SLOPE
) -> torch.Tensor:
    """Spike times of a ReL-PSP layer, differentiable with STDBP (see the module docstring)."""
    if not min_slope > 0:
        raise ValueError(f"min_slope, the gradient guard, must be positive (got {min_slope}).")
    return STDBP.apply(t_in, weight, theta, min_slope)


def warm_up() -> None:
    """Compile (or load from Numba's on-disk cache) the CPU kernels for float32 and float64,
    so that a first training run does not wait seconds for the compiler (``make install``)."""
    for dtype in (torch.float32, torch.float64):
        t_in = torch.tensor([[0.0, 1.0, float("inf"), 2.0]], dtype=dtype, requires_grad=True)
        weight = torch.ones(4, 3, dtype=dtype, requires_grad=True)
        relpsp_layer(t_in, weight, theta=0.5).sum().backward()
