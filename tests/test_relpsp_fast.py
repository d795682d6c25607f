"""The chunked ReL-PSP layer (``core.relpsp.functional`` / ``chunks``) against the dense one it
replaced (``core.relpsp.reference``, the oracle): the same spike times, the same slopes and
the same STDBP gradients, on random small cases with ties, silent inputs, silent samples,
neurons that never fire, and every chunk size from 1 up."""

from __future__ import annotations

import math

import pytest
import torch

from core.relpsp import functional, reference


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread avoids the stalls of idle worker threads on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
    grads = reference.stdbp_grads(grad_out, t, w, expected, 0.3)
    for chunk in (1, 2, 3, 5, 8, 64):
        got = functional.relpsp_times(t, w, 1.0, chunk=chunk)
        assert_same_times(expected, got, 1e-10)
        for mine, ref in zip(functional.stdbp_grads(grad_out, t, w, expected, 0.3, chunk=chunk),
                             grads, strict=True):
            torch.testing.assert_close(mine, ref, rtol=1e-9, atol=1e-12)


def test_a_candidate_chunk_without_the_crossing_is_passed_over() -> None:
    # Chunk size 2. The first chunk rises (w = 1), then falls (w = -5): its bound reaches
    # theta within the long gap to t = 2, but V never does; the spike is in the second chunk.
    t = torch.tensor([[0.0, 0.1, 2.0, 3.0]], dtype=torch.float64)
    w = torch.tensor([[1.0], [-5.0], [20.0], [1.0]], dtype=torch.float64)
    got = functional.relpsp_times(t, w, 1.0, chunk=2)
    torch.testing.assert_close(got, reference.relpsp_times(t, w, 1.0))
    assert 2.0 < got.item() < 3.0


def test_float32_layer_of_realistic_size() -> None:
    gen = torch.Generator().manual_seed(5)
    t = torch.where(torch.rand(16, 300, generator=gen) < 0.5,
                    torch.rand(16, 300, generator=gen) * 5.0, math.inf)
    w = (torch.rand(300, 40, generator=gen) - 0.45) * 0.1
    expected = reference.relpsp_times(t, w, 1.0)
    got = functional.relpsp_times(t, w, 1.0, chunk=32)
    assert torch.isfinite(expected).float().mean() > 0.3
    assert_same_times(expected, got, 1e-5)
    g = torch.randn(expected.shape, generator=gen)
    for mine, ref in zip(functional.stdbp_grads(g, t, w, expected, 0.3, chunk=32),
                         reference.stdbp_grads(g, t, w, expected, 0.3), strict=True):
        torch.testing.assert_close(mine, ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(functional.causal_slope(t, w, expected),
                               reference.causal_slope(t, w, expected), rtol=1e-5, atol=1e-6)


def test_autograd_reuses_the_forward_chunks_and_matches_the_reference(monkeypatch) -> None:
    monkeypatch.setattr(functional, "DENSE_LIMIT", 0)  # the chunked path even for small layers
    t, w = case(11, batch=5, n_in=20, n_out=6, ties=True, silent=0.3)
    outs = []
    for layer in (functional.relpsp_layer, _reference_layer):
        t_in, weight = t.clone().requires_grad_(True), w.clone().requires_grad_(True)
        out = layer(t_in, weight, 1.0, 0.3)
        torch.where(torch.isfinite(out), out * torch.arange(6.0), 0.0).sum().backward()
        outs.append((out.detach(), t_in.grad, weight.grad))
    assert_same_times(outs[1][0], outs[0][0], 1e-10)
    torch.testing.assert_close(outs[0][1], outs[1][1])
    torch.testing.assert_close(outs[0][2], outs[1][2])


def test_small_layers_take_the_dense_path_and_empty_batches_work() -> None:
    t, w = case(2, batch=4, n_in=6, n_out=3, ties=False, silent=0.2)
    assert functional._chunk_for(t, 3, None) is None
    assert functional._chunk_for(torch.zeros(64, 800), 800, None) == functional.CHUNK
    empty = torch.zeros(0, 6, dtype=torch.float64)
    assert functional.relpsp_times(empty, w, 1.0, chunk=4).shape == (0, 3)
    with pytest.raises(ValueError, match="chunk"):
        functional.relpsp_times(t, w, 1.0, chunk=0)


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
