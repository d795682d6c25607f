"""The compiled ReL-PSP layer (``core.relpsp.functional`` / ``kernels``) against the dense one
it replaced (``core.relpsp.reference``, the oracle): the same spike times, the same slopes and
the same STDBP gradients, on random small cases with ties, silent inputs, silent samples and
neurons that never fire, in float64 and float32."""

from __future__ import annotations

import math

import pytest
import torch

from core.relpsp import functional, reference
from tests.support import single_thread


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread avoids the stalls of idle worker threads on a busy machine."""
    yield from single_thread()


def case(seed: int, batch: int, n_in: int, n_out: int, ties: bool, silent: float):
    gen = torch.Generator().manual_seed(seed)
    t = torch.rand(batch, n_in, generator=gen, dtype=torch.float64) * 4.0
    if ties:  # few distinct times: many inputs share one
        t = torch.round(t * 2.0) / 2.0
    t[torch.rand(batch, n_in, generator=gen) < silent] = math.inf
    t[0] = math.inf  # a sample with no input spike at all
    w = torch.randn(n_in, n_out, generator=gen, dtype=torch.float64) * 0.6 + 0.15
    w[:, 0] = -w[:, 0].abs()  # a neuron that never fires
    return t, w


def assert_same_times(expected: torch.Tensor, got: torch.Tensor, rtol: float) -> None:
    assert torch.equal(torch.isinf(expected), torch.isinf(got))
    fired = torch.isfinite(expected)
    torch.testing.assert_close(got[fired], expected[fired], rtol=rtol, atol=rtol)


CASES = [(seed, ties, silent) for seed in range(8) for ties in (False, True)
         for silent in (0.1, 0.6)]


@pytest.mark.parametrize(("seed", "ties", "silent"), CASES)
def test_times_slopes_and_gradients_equal_the_reference(seed, ties, silent) -> None:
    t, w = case(seed, batch=6, n_in=3 + 2 * seed, n_out=4, ties=ties, silent=silent)
    expected = reference.relpsp_times(t, w, 1.0)
    assert torch.isinf(expected[:, 0]).all() and torch.isinf(expected[0]).all()
    grad_out = torch.randn(expected.shape, generator=torch.Generator().manual_seed(seed),
                           dtype=torch.float64)
    assert_same_times(expected, functional.relpsp_times(t, w, 1.0), 1e-10)
    grads = reference.stdbp_grads(grad_out, t, w, expected, 0.3)
    for mine, ref in zip(functional.stdbp_grads(grad_out, t, w, expected, 0.3), grads,
                         strict=True):
        torch.testing.assert_close(mine, ref, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(functional.causal_slope(t, w, expected),
                               reference.causal_slope(t, w, expected), rtol=1e-12, atol=1e-12)


def test_a_rise_that_falls_back_before_theta_does_not_fire() -> None:
    # V rises (w = 1) towards theta, then falls (w = -5) before it gets there; the spike is
    # after the third input.
    t = torch.tensor([[0.0, 0.1, 2.0, 3.0]], dtype=torch.float64)
    w = torch.tensor([[1.0], [-5.0], [20.0], [1.0]], dtype=torch.float64)
    got = functional.relpsp_times(t, w, 1.0)
    torch.testing.assert_close(got, reference.relpsp_times(t, w, 1.0))
    assert 2.0 < got.item() < 3.0


def test_a_spike_stored_at_an_input_time_leaves_that_input_out_of_its_causal_set() -> None:
    # float32: after the huge weight at t = 1 the crossing is 1 + 5e-9, stored as 1.0. The
    # causal set {t_i < t_j} then holds the first input only: slope 1, not 1e8 + 1.
    t = torch.tensor([[0.0, 1.0, 2.0]])
    w = torch.tensor([[1.0], [1e8], [1.0]])
    got = functional.relpsp_times(t, w, 1.5)
    assert got.item() == 1.0 == reference.relpsp_times(t, w, 1.5).item()
    assert functional.causal_slope(t, w, got).item() == 1.0
    g = torch.ones(1, 1)
    t_in, weight = t.clone().requires_grad_(True), w.clone().requires_grad_(True)
    functional.relpsp_layer(t_in, weight, 1.5, 0.3).sum().backward()
    ref = reference.stdbp_grads(g, t, w, got, 0.3)
    torch.testing.assert_close(t_in.grad, ref[0])
    torch.testing.assert_close(weight.grad, ref[1])
    assert weight.grad[1:].abs().sum() == 0.0


def test_float32_layer_of_realistic_size() -> None:
    gen = torch.Generator().manual_seed(5)
    t = torch.where(torch.rand(16, 300, generator=gen) < 0.5,
                    torch.rand(16, 300, generator=gen) * 5.0, math.inf)
    w = (torch.rand(300, 40, generator=gen) - 0.45) * 0.1
    expected = reference.relpsp_times(t, w, 1.0)
    got = functional.relpsp_times(t, w, 1.0)
    assert got.dtype == torch.float32
    assert torch.isfinite(expected).float().mean() > 0.3
    assert_same_times(expected, got, 1e-5)
    g = torch.randn(expected.shape, generator=gen)
    for mine, ref in zip(functional.stdbp_grads(g, t, w, expected, 0.3),
                         reference.stdbp_grads(g, t, w, expected, 0.3), strict=True):
        assert mine.dtype == torch.float32
        torch.testing.assert_close(mine, ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(functional.causal_slope(t, w, expected),
                               reference.causal_slope(t, w, expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_autograd_reuses_the_forward_causal_sets_and_matches_the_reference(dtype) -> None:
    t, w = case(11, batch=5, n_in=20, n_out=6, ties=True, silent=0.3)
    t, w = t.to(dtype), w.to(dtype)
    outs = []
    for layer in (functional.relpsp_layer, _reference_layer):
        t_in, weight = t.clone().requires_grad_(True), w.clone().requires_grad_(True)
        out = layer(t_in, weight, 1.0, 0.3)
        scaled = out * torch.arange(6.0, dtype=dtype)
        torch.where(torch.isfinite(out), scaled, 0.0).sum().backward()
        outs.append((out.detach(), t_in.grad, weight.grad))
    assert_same_times(outs[1][0], outs[0][0], 1e-10 if dtype == torch.float64 else 1e-5)
    torch.testing.assert_close(outs[0][1], outs[1][1])
    torch.testing.assert_close(outs[0][2], outs[1][2])


def test_empty_batches_and_a_bad_threshold() -> None:
    _, w = case(2, batch=4, n_in=6, n_out=3, ties=False, silent=0.2)
    empty = torch.zeros(0, 6, dtype=torch.float64)
    assert functional.relpsp_times(empty, w, 1.0).shape == (0, 3)
    grads = functional.stdbp_grads(torch.zeros(0, 3, dtype=torch.float64), empty, w,
                                   torch.zeros(0, 3, dtype=torch.float64), 0.3)
    assert grads[0].shape == (0, 6) and torch.equal(grads[1], torch.zeros_like(w))
    with pytest.raises(ValueError, match="theta"):
        functional.relpsp_times(empty, w, 0.0)


class _Reference(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t_in, weight, theta, min_slope):  # type: ignore[override]
        t_out = reference.relpsp_times(t_in, weight, theta)
        ctx.save_for_backward(t_in, weight, t_out)
        ctx.min_slope = min_slope
        return t_out

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        t_in, weight, t_out = ctx.saved_tensors
        return (*reference.stdbp_grads(grad_out, t_in, weight, t_out, ctx.min_slope), None, None)


def _reference_layer(t_in, weight, theta, min_slope):
    return _Reference.apply(t_in, weight, theta, min_slope)
