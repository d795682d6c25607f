"""The SpyTorch network, written as its tutorials write it: one autograd op per step.

Zenke & Vogels (2021), SpyTorch tutorials 2 and 4. The hidden layer is any trainable model of
the neuron registry (``core.neurons.registry``), run by the one time loop
(``core.neurons.loop.run_model``) with a hard reset to zero at threshold 1, the reset detached
from the graph, the input reaching the neuron one step later (SpyTorch's convention) and,
when recurrent, the layer's own spikes fed back. For the default ``"synaptic"`` model (the
current-based LIF) that is exactly tutorials 2 and 4::

    h[t]   = x[t] W + S[t-1] V
    S[t]   = spike(U[t] - 1)
    I[t+1] = alpha I[t] + h[t]
    U[t+1] = (beta U[t] + I[t]) (1 - S[t])

and a leaky non-spiking readout ``flt[t+1] = alpha flt[t] + S[t] W2``,
``out[t+1] = beta out[t] + flt[t]``. This is the formulation every faster engine is checked
against (``--engine reference``).
"""

from __future__ import annotations

from functools import partial

import torch

from core.neurons.loop import leaky_integrate, run_model
from core.neurons.registry import get_model, make_params
from core.neurons.surrogate import fast_sigmoid_spike


def hidden_reference(
    x: torch.Tensor,
    w1: torch.Tensor,
    v1: torch.Tensor | None,
    alpha: float,
    beta: float,
    scale: float,
    neuron: str = "synaptic",
    record_mem: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Spikes and membrane [T, B, H] of the hidden layer of ``neuron`` for input [T, B, N]
    (no membrane without ``record_mem``: the per-step membranes are then not stacked)."""
    h_in = torch.einsum("tbn,nh->tbh", x, w1)
    params = make_params(neuron, alpha=alpha, beta=beta, threshold=1.0, reset="hard")
    trace = run_model(
        get_model(neuron),
        params,
        h_in,
        spike_fn=partial(fast_sigmoid_spike, scale=scale),
        feedback=None if v1 is None else partial(_recurrent, v1=v1),
        delay=1,
        record=("mem",) if record_mem else (),
    )
    return trace.spikes, trace.traces.get("mem")


def _recurrent(spikes: torch.Tensor, v1: torch.Tensor) -> torch.Tensor:
    """The recurrent input S[t-1] V (a function, not a closure: it pickles)."""
    return spikes @ v1


def readout_reference(
    spikes: torch.Tensor, w2: torch.Tensor, alpha: float, beta: float
) -> torch.Tensor:
    """Readout membrane [T, B, O] (the value after each step) for hidden spikes [T, B, H]."""
    h2 = torch.einsum("tbh,ho->tbo", spikes, w2)
    current = leaky_integrate(h2, alpha, delay=1)  # the synaptic filter, one step late
    return leaky_integrate(current, beta)
