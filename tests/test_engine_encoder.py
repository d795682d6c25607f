"""The fast engine's fused encoder layer equals the one time loop, bit for bit (issue 28).

``core.engine.encoder`` claims the generic loop's floating-point operations in its order, so
the comparisons here are exact (tolerance zero) for the spikes, the membranes and the
gradients, in float32 and float64; on the shapes where compiled loops go wrong (a neuron count
that is not a multiple of the thread block and more than one block, one or two steps), with
and without a synaptic filter, and for the Braille network's whole training step.
"""

from __future__ import annotations

import pytest
import torch

from core.engine import encoder, spytorch_loss
from core.engine.encoder import compiled_available, encoder_layer
from core.training import TrainConfig
from core.training.model import init_params, run

SHAPES = [(40, 5, 37), (30, 3, encoder.BLOCK + 13), (1, 2, 9), (2, 4, 6)]  # T, B, N


def _layer(currents, grad_out, alpha, compiled):
    """Spikes, membranes and the gradient that reaches the currents."""
    c = currents.clone().requires_grad_()
    spikes, mems = encoder_layer(c, alpha, 0.95, 100.0, compiled=compiled)
    if spikes.requires_grad:  # (one step: the loop's spikes do not depend on the currents)
        (spikes * grad_out).sum().backward()
    grad = torch.zeros_like(c) if c.grad is None else c.grad
    return spikes.detach(), mems.detach(), grad


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_fused_layer_equals_the_one_loop_bit_for_bit(dtype, shape, alpha) -> None:
    gen = torch.Generator().manual_seed(0)
    currents = (torch.randn(*shape, generator=gen) * 0.3 + 0.08).to(dtype)
    grad_out = torch.randn(*shape, generator=gen).to(dtype)
    fused = _layer(currents, grad_out, alpha, compiled=True)
    loop = _layer(currents, grad_out, alpha, compiled=False)
    for a, b in zip(fused, loop, strict=True):
        assert a.dtype == dtype and torch.equal(a, b)
    if shape[0] > 20:  # the comparison means something: resets and surrogates are exercised
        assert 0.02 < fused[0].mean().item() < 0.5 and fused[2].abs().max() > 0


def test_fused_encoder_gives_the_braille_step_the_same_numbers(monkeypatch) -> None:
    """Two Adamax steps of a small Braille-shaped network (recurrent, normalised) on the fast
    engine: with the fused encoder and with the generic loop in its place (as where the
    compiled loops are unavailable) the parameters end identical."""
    cfg = TrainConfig(dataset="braille", hidden=24, steps=40, fan_out=8, recurrent=True,
                      weight_scale=3.0, rec_weight_scale=0.03, normalised=True,
                      tau_mem_ms=20.0, tau_syn_ms=10.0, optimizer="adamax", lr=5e-3)
    x = 2 * torch.randn(40, 6, 4, generator=torch.Generator().manual_seed(1))
    labels = torch.arange(6) % 3
    results, forwards = [], _count_forwards(monkeypatch)
    for available in (True, False):
        monkeypatch.setattr(encoder, "compiled_available", lambda _c, ok=available: ok)
        params = init_params("timeseries", 4, 3, cfg, torch.Generator().manual_seed(0))
        opt = torch.optim.Adamax(list(params.values()), lr=cfg.lr, betas=(0.9, cfg.beta2))
        for _ in range(2):
            output, enc = run(params, x, "timeseries", cfg, 1.0)
            loss = spytorch_loss(output, labels, reg=1e-3)
            opt.zero_grad()
            loss.backward()
            opt.step()
        results.append((enc.detach(), *(p.detach() for p in params.values())))
    assert len(forwards) == 2 and results[0][0].sum() > 0  # only the first run was fused
    for a, b in zip(*results, strict=True):
        assert torch.equal(a, b)


def _count_forwards(monkeypatch) -> list[int]:
    """Calls of the fused forward loop, counted from now on."""
    calls: list[int] = []
    kernel = encoder.synaptic_forward

    def counted(*args):
        calls.append(1)
        return kernel(*args)

    monkeypatch.setattr(encoder, "synaptic_forward", counted)
    return calls


def test_fast_engine_runs_the_fused_encoder_and_the_reference_the_loop(monkeypatch) -> None:
    forwards = _count_forwards(monkeypatch)
    x = torch.randn(10, 2, 3, generator=torch.Generator().manual_seed(0))
    for engine in ("fast", "reference"):
        cfg = TrainConfig(dataset="braille", hidden=5, steps=10, fan_out=2, engine=engine)
        params = init_params("timeseries", 3, 2, cfg, torch.Generator().manual_seed(0))
        run(params, x, "timeseries", cfg, 1.0)
    assert forwards == [1]


def test_without_the_compiled_loops_the_layer_runs_the_one_loop() -> None:
    """Off the CPU (here: the shape-only "meta" device) or in a dtype the loops do not take,
    the layer falls back to the generic loop."""
    assert compiled_available(torch.zeros(1)) and compiled_available(torch.zeros(1).double())
    meta = torch.zeros(6, 2, 3, device="meta")
    half = torch.rand(6, 2, 3, generator=torch.Generator().manual_seed(0)).to(torch.bfloat16)
    assert not compiled_available(meta) and not compiled_available(half)
    spikes, mems = encoder_layer(meta, 0.0, 0.9, 10.0)
    assert spikes.device.type == "meta" and spikes.shape == mems.shape == (6, 2, 3)
    spikes, _ = encoder_layer(half * 5, 0.0, 0.9, 10.0)
    assert spikes.dtype == torch.bfloat16
    assert torch.equal(spikes, encoder_layer(half * 5, 0.0, 0.9, 10.0, compiled=False)[0])


def test_bad_scale_is_refused_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="surrogate scale"):
        encoder_layer(torch.zeros(3, 1, 2), 0.0, 0.9, 0.0)
