"""The conv SNN's fast path (``core.nas.fast_lif``) against the float32 reference loop.

Tolerances: the fused float32 neuron loop does the reference's float32 operations in its order,
so spikes, logits, loss and every parameter gradient are equal (``torch.equal``). The bfloat16
path rounds the convolutions' inputs and outputs to 8 mantissa bits, so a few neurons near the
threshold fire differently: its loss agrees to 5% relative, its spike counts to 2%, and its
whole parameter gradient points the same way (cosine similarity above 0.9).
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch.nn import functional as F

from core.nas import fast_lif
from core.nas.fast_lif import conv_mode, fused_spikes
from core.nas.model import ConvNet, NeuronConfig
from core.nas.space import Architecture

CASES = [(n, r) for n in ("IF", "LIF") for r in ("hard", "soft")]


def run(net: ConvNet, mode: str, x: torch.Tensor, y: torch.Tensor):
    net = copy.deepcopy(net)
    net.fast = mode
    logits, counts = net(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    return logits.detach(), counts, loss.detach(), [p.grad for p in net.parameters()]


def make(neuron: str, reset: str) -> tuple[ConvNet, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    arch = Architecture("snn", ((8, 3), (8, 3), (16, 3)), neuron, reset)
    net = ConvNet(arch, 1, 10, (1,), NeuronConfig(time_steps=4, threshold=0.5))
    gen = torch.Generator().manual_seed(1)
    return net, torch.rand(6, 1, 12, 12, generator=gen), torch.randint(0, 10, (6,), generator=gen)


@pytest.mark.parametrize(("neuron", "reset"), CASES)
def test_fused_float32_equals_the_reference(neuron, reset):
    net, x, y = make(neuron, reset)
    ref, fast = run(net, "reference", x, y), run(net, "fp32", x, y)
    assert ref[1].sum() > 0  # the test means something: neurons fire
    for a, b in zip(ref[:3], fast[:3], strict=True):
        assert torch.equal(a, b)
    for a, b in zip(ref[3], fast[3], strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize(("neuron", "reset"), CASES)
def test_bf16_agrees_within_its_tolerance(neuron, reset):
    net, x, y = make(neuron, reset)
    ref, fast = run(net, "reference", x, y), run(net, "bf16", x, y)
    assert abs(fast[2] - ref[2]) <= 0.05 * abs(ref[2])
    assert torch.allclose(fast[1], ref[1], rtol=0.02)
    g_ref, g_fast = (torch.cat([g.flatten() for g in r[3]]) for r in (ref, fast))
    assert F.cosine_similarity(g_ref, g_fast, dim=0) > 0.9


@pytest.mark.parametrize("reset", ["none", "soft", "hard"])
@pytest.mark.parametrize("const", [False, True])
def test_fused_loop_matches_the_step_function(reset, const):
    from functools import partial

    from core.neurons.lif import LIFParams
    from core.neurons.loop import run_model
    from core.neurons.surrogate import fast_sigmoid_spike

    gen = torch.Generator().manual_seed(2)
    a = (torch.randn(2 if const else 10, 3, 4, 4, generator=gen) * 1.5).requires_grad_()
    b = a.detach().clone().requires_grad_()
    spikes, count = fused_spikes(a, 5, 0.7, 1.0, reset, 3.0, const=const)
    spikes = spikes.view(5, 2, 3, 4, 4)
    drive = b.expand(5, -1, -1, -1, -1) if const else b.view(5, 2, 3, 4, 4)
    ref = run_model("lif", LIFParams(beta=0.7, threshold=1.0, reset=reset), drive,
                    spike_fn=partial(fast_sigmoid_spike, scale=3.0), record=()).spikes
    assert ref.sum() > 0 and torch.equal(spikes, ref) and count == ref.sum()
    weights = torch.randn(ref.shape, generator=gen)
    (spikes * weights).sum().backward()
    (ref * weights).sum().backward()
    assert torch.equal(a.grad, b.grad)


def test_forced_off_gives_the_reference_path(monkeypatch):
    net, x, y = make("LIF", "soft")
    monkeypatch.setenv(fast_lif.ENV, "0")
    assert conv_mode() == "reference"
    calls = []
    monkeypatch.setattr(ConvNet, "_forward_fast", lambda *a, **k: calls.append(1))
    logits, _ = net(x)
    assert not calls and logits.shape == (6, 10)
    monkeypatch.setenv(fast_lif.ENV, "fp32")
    assert conv_mode() == "fp32"
    monkeypatch.delenv(fast_lif.ENV)
    assert conv_mode() == ("bf16" if fast_lif.native_bf16() else "fp32")
    with pytest.raises(ValueError, match="conv mode"):
        conv_mode("fp16")


def test_state_dict_keys_unchanged():
    net, _, _ = make("IF", "hard")
    plain = ConvNet(net.arch, 1, 10, (1,), net.neuron, fast="fp32")
    assert list(plain.state_dict()) == list(net.state_dict())
