"""The neuron registry and the one time loop: lookup, params, and SpyTorch's reference layer."""

from __future__ import annotations

from dataclasses import fields
from functools import partial

import numpy as np
import pytest
import torch

from core.engine.reference import hidden_reference
from core.neurons.loop import run_model
from core.neurons.registry import MODELS, get_model, make_params, model_names
from core.neurons.surrogate import fast_sigmoid_spike
from tests.golden import spytorch_hidden


def test_names_and_lookup() -> None:
    assert {"if", "lif", "synaptic"} <= set(model_names())
    assert set(model_names(trainable=True)) | set(model_names(trainable=False)) == set(
        model_names())
    for model in MODELS:
        assert get_model(model.name) is model and model.name == model.name.lower()
        names = {f.name for f in fields(model.params)}
        assert {"threshold", "reset"} <= names
        assert set(model.traces) <= set(model.initial_state(np.zeros(2))._fields)
    with pytest.raises(ValueError, match="neuron must be one of if, lif"):
        get_model("hodgkin")


def test_make_params_ignores_what_a_model_lacks() -> None:
    p = make_params("if", beta=0.3, alpha=0.2, threshold=2.0, reset="hard")
    assert (p.beta, p.threshold, p.reset) == (1.0, 2.0, "hard")
    assert make_params("lif", beta=0.3, alpha=0.2).beta == 0.3
    with pytest.raises(ValueError, match="beta"):
        make_params("synaptic", beta=1.5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("recurrent", [False, True])
def test_run_model_is_spytorch_hidden_layer_bit_for_bit(dtype, recurrent: bool) -> None:
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(60, 8, 12, generator=gen) < 0.3).to(dtype)
    w1 = (torch.randn(12, 16, generator=gen) * 0.4).to(dtype).requires_grad_()
    v1 = (torch.randn(16, 16, generator=gen) * 0.2).to(dtype) if recurrent else None
    alpha, beta, scale = float(np.exp(-1 / 5)), float(np.exp(-1 / 10)), 100.0
    spk_ref, mem_ref = spytorch_hidden(x, w1, v1, alpha, beta, scale)
    params = make_params("synaptic", alpha=alpha, beta=beta, threshold=1.0, reset="hard")
    trace = run_model("synaptic", params, torch.einsum("tbn,nh->tbh", x, w1),
                      spike_fn=partial(fast_sigmoid_spike, scale=scale),
                      feedback=None if v1 is None else (lambda s: s @ v1), delay=1)
    assert spk_ref.sum() > 10
    assert torch.equal(trace.spikes, spk_ref) and torch.equal(trace.traces["mem"], mem_ref)
    grad_ref, = torch.autograd.grad(mem_ref.sum() + spk_ref.sum(), w1)
    grad, = torch.autograd.grad(trace.traces["mem"].sum() + trace.spikes.sum(), w1)
    assert torch.equal(grad, grad_ref)
    spk_eng, mem_eng = hidden_reference(x, w1, v1, alpha, beta, scale)
    assert torch.equal(spk_eng, spk_ref) and torch.equal(mem_eng, mem_ref)


def test_run_model_numpy_records_the_traces() -> None:
    x = np.array([1.0, 0, 0, 0, 0])
    params = make_params("synaptic", alpha=0.5, beta=0.5, threshold=0.4, reset="soft")
    trace = run_model("synaptic", params, x)
    np.testing.assert_allclose(trace.traces["syn"], [1.0, 0.5, 0.25, 0.125, 0.0625])
    np.testing.assert_allclose(trace.traces["mem"], [0.0, 1.0, 0.6, 0.15, 0.2], atol=1e-12)
    np.testing.assert_array_equal(trace.spikes, [0, 1, 1, 0, 0])
    delayed = run_model("lif", make_params("lif", beta=0.5), np.full(4, 0.25), delay=1)
    np.testing.assert_allclose(delayed.traces["mem"], [0.0, 0.25, 0.375, 0.4375])
