"""Spike functions with surrogate gradients for training.

Fast sigmoid (Zenke & Ganguli 2018, SuperSpike; SpyTorch tutorial 2): forward Heaviside
H(x), backward g / (scale * |x| + 1)^2 for incoming gradient g. The scale is an argument of
each call, so two models with different scales never share it (a scale stored on the class
changes every other run in the process).
"""

from __future__ import annotations

import torch


class _FastSigmoidSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.scale = scale
        return torch.gt(x, 0, out=torch.empty_like(x))  # 0/1 in x's dtype, one pass

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        if torch.is_grad_enabled():  # a higher-order gradient is asked for: keep the graph
            return grad / (ctx.scale * x.abs() + 1.0) ** 2, None
        # grad / (scale |x| + 1)^2 in one buffer: the same operations (the square is s * s,
        # as pow(s, 2) computes it), no temporaries
        slope = x.abs().mul_(ctx.scale).add_(1.0)
        return torch.div(grad, slope.mul_(slope), out=slope), None


def fast_sigmoid_spike(x: torch.Tensor, scale: float = 100.0) -> torch.Tensor:
    """Heaviside of ``x`` with the fast-sigmoid surrogate gradient of slope ``scale``."""
    if not scale > 0:
        raise ValueError(f"The surrogate scale must be greater than 0 (got {scale}).")
    return _FastSigmoidSpike.apply(x, float(scale))
