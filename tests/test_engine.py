"""The fast engine computes the reference network's loss and gradients exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.engine import Weights, forward, spytorch_loss
from core.engine.reference import hidden_reference
from tests.golden import spytorch_readout

ROOT = Path(__file__).resolve().parents[1]


def _case(density: float, recurrent: bool, binary: bool, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    steps, batch, inputs, hidden, outputs = 40, 6, 30, 20, 4
    x = (torch.rand(steps, batch, inputs, generator=gen, dtype=torch.float64) < density).double()
    if not binary:
        x = x * torch.rand(steps, batch, inputs, generator=gen, dtype=torch.float64) * 3
    labels = torch.randint(outputs, (batch,), generator=gen)

    def weights() -> Weights:
        g = torch.Generator().manual_seed(seed + 1)
        w1 = torch.randn(inputs, hidden, generator=g, dtype=torch.float64) * 3 / inputs**0.5
        v1 = torch.randn(hidden, hidden, generator=g, dtype=torch.float64) / hidden**0.5
        w2 = torch.randn(hidden, outputs, generator=g, dtype=torch.float64) / hidden**0.5
        return Weights(
            w1.requires_grad_(), v1.requires_grad_() if recurrent else None, w2.requires_grad_()
        )

    return x, labels, weights


def _loss_and_grads(engine: str, x, labels, weights: Weights):
    output = forward(engine, x, weights, alpha=0.8, beta=0.9, scale=10.0)
    loss = spytorch_loss(output, labels, reg=1e-3, reg_quadratic=1e-4)
    loss.backward()
    return loss, [w.grad for w in weights if w is not None], output


@pytest.mark.parametrize("density", [0.03, 0.4])  # sparse and dense input paths
@pytest.mark.parametrize("recurrent", [True, False])
@pytest.mark.parametrize("binary", [True, False])
def test_fast_equals_reference_in_float64(density: float, recurrent: bool, binary: bool) -> None:
    x, labels, weights = _case(density, recurrent, binary)
    ref_loss, ref_grads, ref_out = _loss_and_grads("reference", x, labels, weights())
    fast_loss, fast_grads, fast_out = _loss_and_grads("fast", x, labels, weights())
    assert ref_out.spikes.sum() > 20  # the hidden layer fires: resets and surrogates matter
    torch.testing.assert_close(fast_out.spikes, ref_out.spikes)
    torch.testing.assert_close(fast_out.counts, ref_out.counts.detach())
    assert fast_loss.item() == pytest.approx(ref_loss.item(), rel=1e-12)
    for ref, fast in zip(ref_grads, fast_grads, strict=True):
        assert ref.abs().max() > 0
        assert ((fast - ref).abs().max() / ref.abs().max()).item() < 1e-4


def test_sparse_event_input_equals_dense_input() -> None:
    x, labels, weights = _case(0.05, True, True, seed=3)
    dense_loss, dense_grads, _ = _loss_and_grads("fast", x, labels, weights())
    sparse_loss, sparse_grads, _ = _loss_and_grads("fast", x.to_sparse(), labels, weights())
    assert sparse_loss.item() == pytest.approx(dense_loss.item(), rel=1e-12)
    for a, b in zip(dense_grads, sparse_grads, strict=True):
        torch.testing.assert_close(a, b)


def _ttfs_case(recurrent: bool):
    """A TTFS-coded batch (at most one spike per input) as the training loop builds it."""
    from core.encoders import TTFSParams
    from core.training.inputs import ttfs_events

    gen = torch.Generator().manual_seed(11)
    pixels = torch.rand(6, 30, generator=gen)
    pixels[pixels < 0.3] = 0.0
    events = ttfs_events(pixels, 40, TTFSParams(tau=8.0, thr=0.2, tmax=40.0), dt=1.0)
    _, labels, weights = _case(0.0, recurrent, True, seed=11)
    return events, labels, weights


@pytest.mark.parametrize("recurrent", [True, False])
@pytest.mark.parametrize("reg", [0.0, 1e-3])  # without reg the counts get no gradient
def test_ttfs_events_on_the_fast_engine_equal_the_dense_reference(recurrent: bool,
                                                                  reg: float) -> None:
    events, labels, weights = _ttfs_case(recurrent)
    assert events.is_sparse and events.values().dtype == torch.float32
    results = {}
    for engine, x in (("reference", events.to_dense().double()), ("fast", events)):
        w = weights()
        output = forward(engine, x, w, alpha=0.8, beta=0.9, scale=10.0)
        loss = spytorch_loss(output, labels, reg=reg)
        loss.backward()
        results[engine] = (loss.item(), output.spikes, [p.grad for p in w if p is not None])
    ref, fast = results["reference"], results["fast"]
    assert ref[1].sum() > 20
    torch.testing.assert_close(fast[1], ref[1].detach())
    assert fast[0] == pytest.approx(ref[0], rel=1e-12)
    for r, f in zip(ref[2], fast[2], strict=True):
        assert r.abs().max() > 0
        assert ((f - r).abs().max() / r.abs().max()).item() < 1e-10


def test_a_loss_of_the_counts_alone_has_the_reference_gradients() -> None:
    x, _, weights = _case(0.05, True, True, seed=7)
    grads = {}
    for engine in ("reference", "fast"):
        w = weights()
        forward(engine, x, w, 0.8, 0.9, 10.0).counts.pow(2).sum().backward()
        grads[engine] = [p.grad if p.grad is not None else torch.zeros_like(p) for p in w]
    assert grads["reference"][0].abs().max() > 0
    for r, f in zip(grads["reference"], grads["fast"], strict=True):
        torch.testing.assert_close(f, r)  # the readout's weights get none: zeros


def test_unknown_engine_is_explained() -> None:
    x, _, weights = _case(0.05, False, True)
    with pytest.raises(ValueError, match="engine must be one of"):
        forward("turbo", x, weights(), 0.8, 0.9, 10.0)


def test_bench_contract() -> None:
    args = [
        "bench",
        "--batch",
        "8",
        "--steps",
        "12",
        "--inputs",
        "30",
        "--hidden",
        "16",
        "--outputs",
        "4",
        "--density",
        "0.05",
        "--repeats",
        "1",
        "--json",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in (
        "snntorch_s",
        "reference_s",
        "ours_s",
        "floor_s",
        "speedup",
        "of_floor",
        "peak_mem_mb",
        "config",
    ):
        assert key in out
    assert out["speedup"] == pytest.approx(out["snntorch_s"] / out["ours_s"])
    assert out["of_floor"] == pytest.approx(out["ours_s"] / out["floor_s"])
    assert set(out["peak_mem_mb"]) == {"snntorch", "reference", "ours"}
    assert out["config"]["batch"] == 8 and out["config"]["steps"] == 12


def test_gradient_reaches_a_trainable_input() -> None:
    x, labels, weights = _case(0.3, True, False, seed=5)
    grads = {}
    for engine in ("reference", "fast"):
        xin = x.clone().requires_grad_()
        loss = spytorch_loss(forward(engine, xin, weights(), 0.8, 0.9, 10.0), labels)
        loss.backward()
        grads[engine] = xin.grad
    assert grads["reference"].abs().max() > 0
    torch.testing.assert_close(grads["fast"], grads["reference"])




@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_readout_through_the_shared_integrator_is_spytorchs_bit_for_bit(dtype):
    from core.engine.reference import readout_reference

    gen = torch.Generator().manual_seed(3)
    spikes = (torch.rand(40, 5, 12, generator=gen) < 0.2).to(dtype)
    w2 = torch.randn(12, 4, generator=gen, dtype=dtype).requires_grad_(True)
    ours = readout_reference(spikes, w2, 0.8, 0.9)
    theirs = spytorch_readout(spikes, w2, 0.8, 0.9)
    assert torch.equal(ours, theirs)
    (g_ours,) = torch.autograd.grad(ours.max(0).values.sum(), w2)
    (g_theirs,) = torch.autograd.grad(theirs.max(0).values.sum(), w2)
    assert torch.equal(g_ours, g_theirs)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bool, torch.uint8])
def test_the_numpy_scan_finds_the_same_non_zeros_as_torch(dtype) -> None:
    from core.engine.sparse import NUMPY_SCAN_ABOVE, nonzero_2d

    gen = torch.Generator().manual_seed(2)
    x = (torch.rand(NUMPY_SCAN_ABOVE // 100 + 7, 130, generator=gen) < 0.03).to(dtype)
    assert x.numel() > NUMPY_SCAN_ABOVE  # the numpy path
    for got, want in zip(nonzero_2d(x), x.nonzero(as_tuple=True), strict=True):
        assert torch.equal(got, want)


def test_the_reference_hidden_layer_without_its_membranes_gives_the_same_spikes() -> None:
    """``forward`` asks for no membranes (they are not stacked); spikes and gradients stay."""
    gen = torch.Generator().manual_seed(3)
    x = (torch.rand(25, 6, 10, generator=gen) < 0.3).double()
    results = []
    for record in (True, False):
        w1, v1 = (torch.randn(*s, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
                  .requires_grad_() for s in ((10, 12), (12, 12)))
        spikes, mem = hidden_reference(x, w1 * 2, v1 * 0.3, 0.8, 0.9, 10.0, record_mem=record)
        assert (mem is None) != record
        spikes.sum().backward()
        results.append((spikes.detach(), w1.grad, v1.grad))
    assert results[0][0].sum() > 10
    for a, b in zip(*results, strict=True):
        assert torch.equal(a, b)
