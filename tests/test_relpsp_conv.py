"""ReL-PSP conv layers (``core.relpsp.conv``, on the compiled kernels) against the float64
oracle that gathers every patch pixel by pixel (``reference_conv``): the same spike times and
the same STDBP gradients for the input times and the weights, on odd image sizes, strides and
paddings that leave ragged edges, several input channels, ties and silent pixels; earliest-spike
pooling; the deep C-SNN's shapes and its conv specs."""

from __future__ import annotations

import math

import pytest
import torch

from core.relpsp.config import ConvSpec, RelpspConfig, parse_conv
from core.relpsp.conv import conv_layer, earliest_pool, reference_conv
from core.relpsp.network import forward, init_params, layer_names, layer_plan
from tests.support import single_thread


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread avoids the stalls of idle worker threads on a busy machine."""
    yield from single_thread()


def image_case(seed: int, batch: int, channels: int, side: int, c_out: int, k: int,
               ties: bool, dtype: torch.dtype = torch.float64):
    gen = torch.Generator().manual_seed(seed)
    t = torch.rand(batch, channels, side, side, generator=gen, dtype=torch.float64) * 4.0
    if ties:  # few distinct times, as latency-coded pixels have
        t = torch.round(t * 2.0) / 2.0
    t[torch.rand(t.shape, generator=gen) < 0.35] = math.inf  # background pixels
    t[0, :, : side // 2] = math.inf  # a half-silent image: border patches see no spike
    w = torch.randn(channels * k * k + 1, c_out, generator=gen, dtype=torch.float64) * 0.5 + 0.2
    w[:, 0] = -w[:, 0].abs()  # a map that never fires
    w[:, -1] = w[:, -1].abs() + 0.1  # one that fires wherever its patch has a spike
    return t.to(dtype), w.to(dtype)


SPECS = [  # (input channels, side, spec): odd sides, strides that skip the last pixels
    (1, 7, ConvSpec(3, 3, 1, 0)),
    (1, 7, ConvSpec(3, 3, 1, 1)),
    (2, 9, ConvSpec(4, 5, 2, 2)),
    (3, 6, ConvSpec(2, 4, 3, 1)),
    (2, 5, ConvSpec(3, 5, 1, 0)),  # one output pixel
    (1, 8, ConvSpec(2, 1, 2, 0)),
]


@pytest.mark.parametrize(("channels", "side", "spec"), SPECS)
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_conv_times_and_gradients_equal_the_float64_reference(channels, side, spec, ties,
                                                             bias) -> None:
    t, w = image_case(side + spec.kernel, 3, channels, side, spec.channels, spec.kernel, ties)
    w = w if bias else w[1:]
    results = []
    for layer in (conv_layer, reference_conv):
        t_in, weight = t.clone().requires_grad_(True), w.clone().requires_grad_(True)
        out = layer(t_in, weight, spec, 1.0, 0.3, bias)
        fired = torch.isfinite(out)
        g = torch.randn(out.shape, generator=torch.Generator().manual_seed(1),
                        dtype=torch.float64)
        (torch.where(fired, out, 0.0) * g).sum().backward()
        results.append((out.detach(), t_in.grad, weight.grad))
    (mine, gt_mine, gw_mine), (ref, gt_ref, gw_ref) = results
    assert torch.equal(torch.isinf(mine), torch.isinf(ref))
    assert torch.isinf(mine[:, 0]).all()  # the map with negative weights never fires
    assert torch.isfinite(mine).any()
    fired = torch.isfinite(ref)
    torch.testing.assert_close(mine[fired], ref[fired], rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(gt_mine, gt_ref, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(gw_mine, gw_ref, rtol=1e-9, atol=1e-12)
    assert not gt_mine[torch.isinf(t)].any()  # silent pixels get no gradient


def test_float32_conv_layer_follows_the_float64_reference() -> None:
    spec = ConvSpec(8, 5, 1, 0)
    t, w = image_case(3, 4, 2, 12, 8, 5, ties=True)
    ref = reference_conv(t, w, spec, 1.0, 0.3, True)
    mine = conv_layer(t.float(), w.float(), spec, 1.0, 0.3, True)
    assert mine.dtype == torch.float32
    agree = torch.isinf(mine) == torch.isinf(ref)
    assert agree.float().mean() > 0.999  # a float32 crossing may land a rounding apart
    both = torch.isfinite(mine) & torch.isfinite(ref)
    torch.testing.assert_close(mine[both].double(), ref[both], rtol=1e-4, atol=1e-4)


def test_earliest_spike_pooling_and_its_gradient() -> None:
    t = torch.tensor([[[[3.0, 1.0, 5.0], [2.0, math.inf, 0.5], [9.0, 9.0, 9.0]]]],
                     requires_grad=True)
    pooled = earliest_pool(t, 2)
    assert pooled.shape == (1, 1, 1, 1) and pooled.item() == 1.0  # the ragged edge is dropped
    pooled.sum().backward()
    assert t.grad[0, 0, 0, 1] == 1.0 and t.grad.sum() == 1.0
    silent = torch.full((1, 1, 2, 2), math.inf)
    assert math.isinf(earliest_pool(silent, 2).item())
    assert earliest_pool(t, 1) is t


@pytest.mark.parametrize(("text", "expected"), [
    ("16c5,32c5", (ConvSpec(16, 5), ConvSpec(32, 5))),
    (" 8C3S2P1 ", (ConvSpec(8, 3, 2, 1),)),
    ("", ()),
])
def test_conv_specs_parse(text: str, expected: tuple) -> None:
    assert parse_conv(text) == expected


@pytest.mark.parametrize(("text", "words"), [
    ("16x5", "is not <channels>c<kernel>"), ("16c3p3", "padding must be smaller"),
    ("0c3", ">= 1"), (",".join(["4c1"] * 9), "At most 8"),
    ("9999c5,9999c5", r"'9999c5' must be a whole number from 1 to 512 \(got 9999\)"),
])
def test_bad_conv_specs_are_explained(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_conv(text)


def test_the_papers_csnn_shape_runs_forward_and_back() -> None:
    config = RelpspConfig(dataset="mnist", conv="16c5,32c5", hidden=(800, 128))
    assert config.arch == "conv" and config.to_dict()["conv"] == "16c5,32c5"
    plan = layer_plan(config, 784, 10, 28)
    assert [(n, r, i, o) for n, r, i, o in plan] == [
        ("conv0", 576, 25, 16), ("conv1", 64, 400, 32), ("fc0", 1, 512, 800),
        ("fc1", 1, 800, 128), ("out", 1, 128, 10)]
    params = init_params(config, 784, 10, 28, torch.Generator().manual_seed(0))
    assert layer_names(params) == ["conv0", "conv1", "fc0", "fc1", "out"]
    gen = torch.Generator().manual_seed(1)
    x = torch.where(torch.rand(4, 784, generator=gen) < 0.3,
                    torch.rand(4, 784, generator=gen) * 5, math.inf)
    for w in params.values():
        w.requires_grad_(True)
    fwd = forward(params, x, config)
    assert [t.shape[1] for t in fwd.layers] == [16 * 24 * 24, 32 * 8 * 8, 800, 128, 10]
    torch.where(torch.isfinite(fwd.output), fwd.output, 0.0).sum().backward()
    assert all(torch.isfinite(w.grad).all() for w in params.values())
    with pytest.raises(ValueError, match="leaves no pixel"):
        RelpspConfig(dataset="mnist", conv="16c5,32c5,64c5")
    with pytest.raises(ValueError, match="needs images"):
        RelpspConfig(dataset="braille", conv="4c3")
