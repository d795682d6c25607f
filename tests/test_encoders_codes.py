"""Latency, rate and delta codes against snnTorch; the contract every encoder keeps."""

from __future__ import annotations

import itertools

import pytest
import torch
from snntorch import spikegen

from core.encoders import (
    METHODS,
    DeltaParams,
    LatencyParams,
    RateParams,
    TTFSParams,
    delta_spikes,
    encode,
    latency_spikes,
    rate_spikes,
    to_dense,
    to_sparse,
)

X = torch.tensor([[0.0, 0.005, 0.02, 0.2, 0.5, 0.75, 1.0], [0.9, 0.3, 0.1, 0.6, 0.01, 0.4, 0.8]])


@pytest.mark.parametrize(
    "linear,normalize,clip,tau,first",
    [
        (lin, norm, clip, tau, first)
        for lin, norm, clip in itertools.product((False, True), repeat=3)
        for tau, first in ((1.0, 0), (5.0, 2))
    ],
)
def test_latency_matches_snntorch(
    linear: bool, normalize: bool, clip: bool, tau: float, first: int
) -> None:
    steps = 25
    ours = latency_spikes(
        X, steps, LatencyParams(tau, 0.01, first, linear=linear, normalize=normalize, clip=clip)
    )
    ref = spikegen.latency(
        X, num_steps=steps, threshold=0.01, tau=tau, first_spike_time=first, linear=linear,
        normalize=normalize, clip=clip, bypass=True,
    )
    assert ours.shape == (steps, 2, 7)
    assert torch.equal(ours, ref.float())


def test_rate_reproduces_snntorch_exactly_with_same_seed() -> None:
    x = torch.rand(4, 30, generator=torch.Generator().manual_seed(1))
    params = RateParams(gain=0.8, offset=0.05, first_spike_time=2)
    with torch.random.fork_rng():  # snnTorch uses the global RNG; keep it out of other tests
        torch.manual_seed(123)
        ref = spikegen.rate(x, num_steps=40, gain=0.8, offset=0.05, first_spike_time=2)
    ours = rate_spikes(x, 40, torch.Generator().manual_seed(123), params)
    assert torch.equal(ours, ref)


def test_rate_statistics_and_seeding() -> None:
    p = torch.tensor([[0.0, 0.1, 0.5, 0.9, 1.0]])
    state = torch.random.get_rng_state()
    spikes = rate_spikes(p, 4000, torch.Generator().manual_seed(7))
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched
    rates = spikes.mean(0)[0]
    sd = torch.sqrt(p[0] * (1 - p[0]) / 4000)
    assert (torch.abs(rates - p[0]) <= 4 * sd + 1e-9).all()
    assert rates[0] == 0 and rates[-1] == 1
    a = rate_spikes(p, 50, torch.Generator().manual_seed(3))
    b = rate_spikes(p, 50, torch.Generator().manual_seed(3))
    c = rate_spikes(p, 50, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("padding,off", list(itertools.product((False, True), repeat=2)))
def test_delta_matches_snntorch(padding: bool, off: bool) -> None:
    series = torch.tensor([[1.0, 2.0, 0.0, 2.0, 2.9, 3.0, 1.5]]).T.unsqueeze(1)  # [T, 1, 1]
    series = torch.cat([series, series.flip(0)], dim=2)
    ours = delta_spikes(series, DeltaParams(1.0, padding=padding, off_spike=off))
    ref = spikegen.delta(series, threshold=1.0, padding=padding, off_spike=off)
    assert torch.equal(ours, ref)


def _input_for(method: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    if method == "delta":
        return torch.cumsum(torch.rand(3, 40, 5, generator=g) - 0.45, dim=1)
    return torch.rand(3, 5, generator=g)


@pytest.mark.parametrize("method", METHODS)
def test_encoder_contract_dense_sparse_round_trip(method: str) -> None:
    x = _input_for(method)
    enc = encode(x, method, 40, generator=torch.Generator().manual_seed(0))
    assert enc.dense.shape == (40, 3, 5) and enc.dense.dtype == torch.float32
    assert enc.sparse.is_sparse
    assert torch.equal(to_dense(enc.sparse), enc.dense)
    assert torch.equal(to_dense(to_sparse(enc.dense)), enc.dense)
    assert enc.num_events == int((enc.dense != 0).sum()) > 0
    mem = enc.memory()
    assert mem["dense_bytes"] == 40 * 3 * 5 * 4
    assert mem["sparse_bytes"] == enc.num_events * (3 * 8 + 4)
    ev = enc.events(batch_index=1)
    assert (ev["batch"] == 1).all()
    assert torch.equal(enc.dense[ev["step"], 1, ev["input"]], torch.as_tensor(ev["value"]))


def test_single_spike_codes_sparse_beats_dense() -> None:
    enc = encode(torch.rand(8, 64, generator=torch.Generator().manual_seed(2)), "ttfs", 100)
    assert enc.num_events <= 8 * 64
    assert enc.sparse_bytes < enc.dense_bytes


def test_encode_rejects_bad_calls() -> None:
    with pytest.raises(ValueError, match="torch.Generator"):
        encode(torch.rand(1, 3), "rate", 5)
    with pytest.raises(ValueError, match="needs TTFSParams"):
        encode(torch.rand(1, 3), "ttfs", 5, params=RateParams())
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        encode(torch.tensor([[1.5]]), "latency", 5)
    with pytest.raises(ValueError, match="Unknown encoder"):
        encode(torch.rand(1, 3), "morse", 5)
    with pytest.raises(ValueError, match="series"):
        encode(torch.rand(1, 3), "delta", 5)
    with pytest.raises(ValueError):
        LatencyParams(threshold=1.0)
    with pytest.raises(ValueError):
        DeltaParams(threshold=0)
    with pytest.raises(ValueError):
        encode(torch.rand(1, 3), "ttfs", 5, params=TTFSParams(), dt=0)
