"""The fast-sigmoid spike function's passes: the same numbers as its formula, bit for bit.

``core.neurons.surrogate`` computes the forward Heaviside in one pass and the backward
g / (scale |x| + 1)^2 in one buffer; these tests pin both to the plain expressions, in every
dtype the engines use, and check that a higher-order gradient still has its graph.
"""

from __future__ import annotations

import pytest
import torch

from core.neurons.surrogate import fast_sigmoid_spike


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_forward_and_backward_are_the_formula_bit_for_bit(dtype) -> None:
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(4, 300, generator=gen) * 0.2).to(dtype)
    x[0, :3] = torch.tensor([0.0, -0.0, float("nan")])
    grad_out = torch.randn(4, 300, generator=gen).to(dtype)
    leaf = x.clone().requires_grad_()
    out = fast_sigmoid_spike(leaf, 37.0)
    (grad,) = torch.autograd.grad(out, leaf, grad_out)
    assert out.dtype == dtype and torch.equal(out, (x > 0).to(dtype))
    expected = grad_out / (37.0 * x.abs() + 1.0) ** 2
    assert torch.equal(grad[~expected.isnan()], expected[~expected.isnan()])
    assert bool(grad.isnan().eq(expected.isnan()).all())


def test_a_higher_order_gradient_keeps_its_graph() -> None:
    x = torch.linspace(-1, 1, 21, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(fast_sigmoid_spike(x, 3.0).sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(grad.sum(), x)
    v = x.detach()
    assert torch.equal(grad.detach(), 1.0 / (3.0 * v.abs() + 1.0) ** 2)
    # d/dx (3|x| + 1)^-2 = -6 sign(x) (3|x| + 1)^-3
    torch.testing.assert_close(second, -6.0 * v.sign() / (3.0 * v.abs() + 1.0) ** 3)
