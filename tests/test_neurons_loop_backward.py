"""The one time loop's backward pass grows linearly with the number of steps (issue 28).

Indexing the input as ``x[t]`` inside the loop made every step's backward allocate and zero a
gradient shaped like the whole [T, ...] input: O(T^2) bytes for T steps. The loop now takes its
slices with ``unbind``. These tests count the bytes the backward pass allocates (every aten
operator's new outputs, seen through a ``TorchDispatchMode``: deterministic, no clock) and check
that the new loop gives the old loop's values and gradients bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from core.neurons.loop import leaky_integrate, run_model
from core.neurons.registry import get_model, make_params, model_names
from core.neurons.surrogate import fast_sigmoid_spike

#: The bound of issue 28: 4x the steps may cost at most about 4.5x the backward's bytes.
MAX_RATIO = 4.5
BATCH, WIDTH, STEPS = 4, 32, 32

Loop = Callable[[torch.Tensor], torch.Tensor]


class _AllocatedBytes(TorchDispatchMode):
    """Sums the bytes of every tensor an operator returns that is not one of its inputs'
    storage (in-place ops and views allocate nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        given = {t.untyped_storage().data_ptr()
                 for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)}
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() not in given:
                self.total += t.untyped_storage().nbytes()
        return out


def backward_bytes(loop: Loop, steps: int) -> int:
    """Bytes the backward pass of ``loop`` allocates for a seeded input of ``steps`` steps."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(steps, BATCH, WIDTH, generator=gen, dtype=torch.float64).requires_grad_()
    loss = loop(x).sum()
    with _AllocatedBytes() as counter:
        loss.backward()
    return counter.total


def _model_loop(name: str, delay: int, recurrent: bool) -> Loop:
    """``run_model`` of neuron ``name``, spikes plus membranes, optionally with feedback."""
    params = make_params(name)
    v = torch.full((WIDTH, WIDTH), 0.01, dtype=torch.float64)
    feedback = (lambda s: s @ v) if recurrent else None

    def loop(x: torch.Tensor) -> torch.Tensor:
        trace = run_model(get_model(name), params, x, spike_fn=partial(fast_sigmoid_spike),
                          feedback=feedback, delay=delay, record=("mem",))
        return trace.spikes + trace.traces["mem"]

    return loop


def _old_leaky_integrate(x: torch.Tensor, beta: float, delay: int = 0) -> torch.Tensor:
    """The loop as it was before issue 28: ``x[t]`` read inside the loop."""
    u = pending = torch.zeros_like(x[0])
    out = []
    for t in range(x.shape[0]):
        current = x[t]
        if delay:
            current, pending = pending, current
        u = beta * u + current
        out.append(u)
    return torch.stack(out)


LOOPS: dict[str, Loop] = {
    **{f"run_model-{n}": _model_loop(n, 0, False) for n in model_names(trainable=True)},
    "run_model-synaptic-delay-recurrent": _model_loop("synaptic", 1, True),
    "leaky_integrate": partial(leaky_integrate, beta=0.9),
    "leaky_integrate-delay": partial(leaky_integrate, beta=0.9, delay=1),
}


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_backward_bytes_grow_linearly_with_the_steps(name):
    one, four = backward_bytes(LOOPS[name], STEPS), backward_bytes(LOOPS[name], 4 * STEPS)
    assert one > 0
    assert four <= MAX_RATIO * one, f"{name}: 4x the steps allocated {four / one:.1f}x"


def test_the_measure_catches_indexing_inside_the_loop():
    old = partial(_old_leaky_integrate, beta=0.9)
    assert backward_bytes(old, 4 * STEPS) > 2 * MAX_RATIO * backward_bytes(old, STEPS)


@pytest.mark.parametrize("delay", [0, 1])
def test_leaky_integrate_matches_the_indexing_loop_bit_for_bit(delay):
    x = torch.randn(23, BATCH, WIDTH, generator=torch.Generator().manual_seed(3))
    grads = []
    for fn in (leaky_integrate, _old_leaky_integrate):
        xi = x.clone().requires_grad_()
        out = fn(xi, 0.8, delay)
        (out * torch.linspace(-1, 1, WIDTH)).sum().backward()
        grads.append((out.detach(), xi.grad))
    assert torch.equal(grads[0][0], grads[1][0]) and torch.equal(grads[0][1], grads[1][1])


def _old_run_model(name: str, x: torch.Tensor, feedback: Loop | None, delay: int) -> tuple:
    """``run_model`` as it was before issue 28 (``x[t]`` in the loop), torch only."""
    model, params = get_model(name), make_params(name)
    spikes = pending = torch.zeros_like(x[0])
    state, spike_rec, mem_rec = model.initial_state(spikes), [], []
    for t in range(x.shape[0]):
        current = x[t] if feedback is None else x[t] + feedback(spikes)
        if delay:
            current, pending = pending, current
        spikes, state = model.step(current, state, params, fast_sigmoid_spike)
        spike_rec.append(spikes)
        mem_rec.append(state.mem)
    return torch.stack(spike_rec), torch.stack(mem_rec)


@pytest.mark.parametrize(("name", "delay", "recurrent"), [
    *((n, 0, False) for n in model_names(trainable=True)), ("synaptic", 1, True)])
def test_run_model_matches_the_indexing_loop_bit_for_bit(name, delay, recurrent):
    x = 2 * torch.rand(40, BATCH, WIDTH, generator=torch.Generator().manual_seed(1))
    v = torch.randn(WIDTH, WIDTH, generator=torch.Generator().manual_seed(2)) / WIDTH
    feedback = (lambda s: s @ v) if recurrent else None
    xs = [x.clone().requires_grad_() for _ in range(2)]
    new = run_model(name, make_params(name), xs[0], spike_fn=fast_sigmoid_spike,
                    feedback=feedback, delay=delay, record=("mem",))
    old = _old_run_model(name, xs[1], feedback, delay)
    outs = [(new.spikes, new.traces["mem"]), old]
    for spikes, mem in outs:
        (spikes.sum() + (mem * mem).sum()).backward()
    assert all(torch.equal(a, b) for a, b in zip(outs[0], outs[1], strict=True))
    assert torch.equal(xs[0].grad, xs[1].grad)
    assert 0 < outs[0][0].sum() < outs[0][0].numel()  # some steps fire, some do not
