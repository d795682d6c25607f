"""The fast engine's compiled CPU loops equal its PyTorch formulation and the reference.

``tests/test_engine.py`` checks the fast engine (compiled on the CPU) against the reference;
here the two formulations of the fast engine are also checked against each other on the
shapes where loops go wrong: batches that do not fill a block of samples, two or three time
steps, hidden layers narrower than a vector, weighted events, float32, and several threads.
"""

from __future__ import annotations

import pytest
import torch

from core.engine import Output, Weights, forward, spytorch_loss
from core.engine.fast import network_fast


def _problem(steps, batch, inputs, hidden, outputs, density, dtype, weighted=False, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(steps, batch, inputs, generator=gen, dtype=dtype) < density).to(dtype)
    if weighted:
        x = x * torch.rand(steps, batch, inputs, generator=gen, dtype=dtype) * 2
    labels = torch.randint(outputs, (batch,), generator=gen)
    w1 = torch.randn(inputs, hidden, generator=gen, dtype=dtype) * 4 / inputs**0.5
    v1 = torch.randn(hidden, hidden, generator=gen, dtype=dtype) / hidden**0.5
    w2 = torch.randn(hidden, outputs, generator=gen, dtype=dtype) / hidden**0.5
    return x, labels, (w1, v1, w2)


def _run(x, labels, params, recurrent: bool, compiled: bool | None, sparse: bool = True):
    w1, v1, w2 = (p.clone().requires_grad_() for p in params)
    v1 = v1 if recurrent else None
    data = x.to_sparse() if sparse else x
    if compiled is None:  # the reference engine
        out = forward("reference", x, Weights(w1, v1, w2), 0.8, 0.9, 10.0)
    else:
        out = Output(*network_fast(data, w1, v1, w2, 0.8, 0.9, 10.0, compiled=compiled))
    loss = spytorch_loss(out, labels, reg=1e-3, reg_quadratic=1e-4)
    loss.backward()
    # (with two steps, V never reaches the loss: the reference leaves its gradient None)
    grads = [torch.zeros_like(w) if w.grad is None else w.grad for w in (w1, v1, w2)
             if w is not None]
    return loss.detach(), out.spikes.detach(), grads


SHAPES = [  # steps, batch, inputs, hidden, outputs, density
    (30, 13, 25, 21, 3, 0.08),  # batch not a multiple of the block, odd hidden size
    (2, 9, 10, 40, 3, 0.5),  # two steps: the backward recursion's one step
    (3, 5, 10, 7, 2, 0.5),  # the first step with a recurrent GEMM
    (25, 20, 40, 50, 5, 0.3),  # dense input (above the sparse threshold)
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("recurrent", [True, False])
def test_compiled_loops_equal_the_torch_formulation_in_float64(shape, recurrent) -> None:
    x, labels, params = _problem(*shape, dtype=torch.float64)
    loss_c, spikes_c, grads_c = _run(x, labels, params, recurrent, compiled=True)
    loss_t, spikes_t, grads_t = _run(x, labels, params, recurrent, compiled=False)
    loss_r, spikes_r, grads_r = _run(x, labels, params, recurrent, compiled=None)
    assert torch.equal(spikes_c, spikes_t) and torch.equal(spikes_c, spikes_r)
    assert loss_c.item() == pytest.approx(loss_t.item(), rel=1e-12)
    assert loss_c.item() == pytest.approx(loss_r.item(), rel=1e-12)
    for c, t, r in zip(grads_c, grads_t, grads_r, strict=True):
        torch.testing.assert_close(c, t, rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(c, r, rtol=1e-9, atol=1e-12)


def test_the_network_fires_in_the_float64_cases() -> None:
    """The comparisons above mean something only if resets and surrogates are exercised."""
    for shape in SHAPES[:1] + SHAPES[3:]:
        x, labels, params = _problem(*shape, dtype=torch.float64)
        _, spikes, _ = _run(x, labels, params, True, compiled=True)
        assert 0.01 < spikes.mean().item() < 0.9


@pytest.mark.parametrize("sparse", [True, False])
def test_weighted_events_and_dense_tensors_give_the_same_gradients(sparse) -> None:
    x, labels, params = _problem(20, 11, 30, 24, 4, 0.1, torch.float64, weighted=True)
    loss_c, _, grads_c = _run(x, labels, params, True, compiled=True, sparse=sparse)
    loss_r, _, grads_r = _run(x, labels, params, True, compiled=None)
    assert loss_c.item() == pytest.approx(loss_r.item(), rel=1e-12)
    for c, r in zip(grads_c, grads_r, strict=True):
        torch.testing.assert_close(c, r, rtol=1e-9, atol=1e-12)


def test_float32_agrees_with_float64_to_float32_rounding() -> None:
    x, labels, params = _problem(40, 32, 60, 48, 5, 0.05, torch.float64)
    loss64, spikes64, grads64 = _run(x, labels, params, True, compiled=True)
    single = [p.float() for p in params]
    loss32, spikes32, grads32 = _run(x.float(), labels, single, True, compiled=True)
    flips = (spikes32.double() - spikes64).abs().sum().item()
    assert flips <= 2  # a membrane within rounding of threshold may flip a spike
    assert loss32.item() == pytest.approx(loss64.item(), rel=1e-4)
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert ((g32.double() - g64).abs().max() / g64.abs().max()).item() < 1e-3


def test_thread_count_does_not_change_the_result() -> None:
    x, labels, params = _problem(30, 37, 40, 33, 4, 0.08, torch.float64)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = _run(x, labels, params, True, compiled=True)
        assert torch.get_num_threads() == 1  # starting Numba's OpenMP layer must not reset it
        torch.set_num_threads(2)
        two = _run(x, labels, params, True, compiled=True)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one[1], two[1])
    assert one[0].item() == pytest.approx(two[0].item(), rel=1e-12)
    for a, b in zip(one[2], two[2], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-13)


def test_a_freed_large_buffer_is_reused_without_page_faults() -> None:
    """``retain_freed_memory`` (applied on import): a 40 MB buffer, above glibc's largest mmap
    threshold, comes back from the heap the second time instead of being mapped and faulted in
    page by page (about 10,000 faults)."""
    import resource

    from core.heap import retain_freed_memory

    assert retain_freed_memory()  # glibc's mallopt: every machine SpikeLab is tested on has it

    def faults_of_one_buffer() -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        buffer = torch.empty(10 << 20, dtype=torch.float32).fill_(1.0)  # 40 MB, every page
        del buffer
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    for _ in range(20):  # the heap grows to hold the buffer (here it took 8 rounds from a
        faults_of_one_buffer()  # fresh process; a mapped buffer never stops faulting)
    assert sum(faults_of_one_buffer() for _ in range(5)) < 1_000  # mapped anew: 50,000
