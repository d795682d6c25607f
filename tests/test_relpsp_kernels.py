"""The compiled ReL-PSP kernels (``core.relpsp.kernels``): threads, compile-time report and the
one-pass gradient statistics. (Their times and gradients against the reference layer:
``tests/test_relpsp_fast.py``.)"""

from __future__ import annotations

import math

import pytest
import torch

from core.relpsp import functional, kernels
from core.relpsp.metrics import GRAD_EDGES, GradStats


@pytest.fixture(name="threads")
def threads_fixture():
    """Restores PyTorch's thread count, which the kernels follow."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def _layer(dtype: torch.dtype):
    gen = torch.Generator().manual_seed(3)
    t = torch.where(torch.rand(9, 50, generator=gen) < 0.6,
                    torch.rand(9, 50, generator=gen) * 5.0, math.inf).to(dtype)
    w = ((torch.rand(50, 30, generator=gen) - 0.4) * 0.3).to(dtype)
    return t, w, torch.randn(9, 30, generator=gen, dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_threads_split_the_batch_without_changing_the_results(threads, dtype) -> None:
    t, w, g = _layer(dtype)
    results = []
    for n in (1, 2, 3):
        threads(n)
        out = functional.relpsp_times(t, w, 1.0)
        results.append((out, *functional.stdbp_grads(g, t, w, out, 0.3)))
    assert torch.isfinite(results[0][0]).float().mean() > 0.3
    for other in results[1:]:
        assert torch.equal(other[0], results[0][0]) and torch.equal(other[1], results[0][1])
        torch.testing.assert_close(other[2], results[0][2])  # per-thread sums, then added


def test_compile_seconds_are_reported_per_kernel_and_dtype() -> None:
    t, w, _ = _layer(torch.float64)
    functional.relpsp_times(t, w, 1.0)
    seconds = kernels.compile_seconds()
    assert seconds["forward float64"] > 0.0


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_gradient_statistics_equal_the_logarithm_histogram(dtype) -> None:
    gen = torch.Generator().manual_seed(0)
    g = torch.randn(5000, generator=gen, dtype=torch.float64)
    g *= 10.0 ** (torch.rand(5000, generator=gen, dtype=torch.float64) * 16 - 12)
    g[::7] = 0.0
    g = g.to(dtype)
    edges = (10.0 ** torch.tensor(GRAD_EDGES[1:-1], dtype=torch.float64)).to(dtype)
    near_edge = (g.abs().unsqueeze(1) / edges - 1).abs().min(dim=1).values < 1e-5
    stats = GradStats()
    stats.add(g)
    a = g.abs()
    logs = torch.log10(a).clamp(GRAD_EDGES[0], GRAD_EDGES[-1])
    counts = torch.histc(logs.double(), len(GRAD_EDGES) - 1, GRAD_EDGES[0], GRAD_EDGES[-1])
    counts[0] -= int((a == 0).sum())
    # Bins agree except for values within rounding of an edge (none here, checked).
    assert not near_edge.any()
    assert stats.hist == counts.long().tolist() and sum(stats.hist) == 5000 - 715
    assert stats.zeros == 715 and stats.count == 5000
    assert stats.max_abs == pytest.approx(float(a.max()))
    assert stats.abs_sum == pytest.approx(float(a.double().sum()), rel=1e-12)
    assert stats.sq_sum == pytest.approx(float((a.double() ** 2).sum()), rel=1e-12)


def test_gradient_statistics_of_extremes() -> None:
    stats = GradStats()
    stats.add(torch.tensor([0.0, -0.0, 1e-30, 5e-9, 2e-9, 1e5, -1e3, math.inf]))
    # 1e-30 below the first edge, 2e-9 and 5e-9 in the next bins, the rest above the last
    assert stats.zeros == 2 and stats.hist[:3] == [1, 1, 1]
    assert stats.hist[-1] == 3 and sum(stats.hist) == 6


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("width", [300, kernels.SMALL_ROW, 26])  # radix; insertion (patches)
def test_the_radix_sort_equals_a_stable_sort(threads, dtype, width) -> None:
    gen = torch.Generator().manual_seed(1)
    t = torch.round(torch.rand(7, width, generator=gen, dtype=torch.float64) * 40) / 8 - 1.0
    t[torch.rand(7, width, generator=gen) < 0.3] = math.inf  # silent inputs sort last
    t[0] = math.inf
    t[1, :5] = torch.tensor([0.0, -0.0, 1e-30, -1e-30, 0.0], dtype=torch.float64)
    t = t.to(dtype)
    for n in (1, 2):
        threads(n)
        srt = kernels.Sorted(t, dtype)
        times, order = torch.sort(t, dim=1, stable=True)
        assert torch.equal(torch.from_numpy(srt.order), order)
        assert torch.equal(torch.from_numpy(srt.times), times)
        assert srt.counts.tolist() == torch.isfinite(t).sum(dim=1).tolist()
        assert srt.latest == float(t[torch.isfinite(t)].abs().max())


def test_own_threads_gives_pytorchs_threads_to_the_kernels(threads) -> None:
    threads(2)
    with kernels.own_threads():
        assert torch.get_num_threads() == 1 and len(kernels._ranges(64)) == 2
    assert torch.get_num_threads() == 2 and len(kernels._ranges(64)) == 2
    threads(1)
    assert kernels._ranges(5) == [(0, 5)]
