"""Run an imported NIR network: every spiking layer through the registry's one time loop.

Input is [T, B, *input_shape] (float32 tensors). Each layer applies its linear operations to
all steps at once, then runs its neurons with ``core.neurons.loop.run_model`` (the registry's
``lif``, ``if`` and ``synaptic`` models, or ``CUBA_MODEL`` below for NIR's CubaLIF) or, for
non-spiking readouts, ``leaky_integrate``. A readout's class score is its membrane's maximum
over time (SpikeLab's readout convention); a spiking output layer's score is its spike count.

While it runs it counts operations as NeuroBench's ``SynapticOperations`` does (Yik et al.,
Nature Communications 16, 1545, 2025): at every step each Linear/Conv2d sees its input with
non-zero entries set to 1 and its weights likewise, biases excluded; the result's sum is the
effective operation count, charged as ACs when the step's input holds only 0 and +-1 (spikes)
and as MACs otherwise; ``dense`` is the same with every input and weight set to 1. A recurrent
projection sees the previous step's spikes at every step (so the last step's spikes drive no
recurrent operation), as in snnTorch's recurrent neurons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from core.interop.nir_graph import ImportedNet, Layer
from core.interop.nir_layers import Op, Population
from core.neurons.base import Array, NeuronModel, heaviside, stop_gradient
from core.neurons.loop import leaky_integrate, run_model
from core.neurons.registry import get_model


class CubaState(NamedTuple):
    syn: Array
    mem: Array
    spikes: Array


def cuba_step(x: Array, state: CubaState, p: Any, spike_fn: Any = heaviside
              ) -> tuple[Array, CubaState]:
    """NIR's CubaLIF by forward Euler; a spike resets the membrane to 0 (input kept)."""
    fired = stop_gradient(state.spikes)
    syn = p.alpha * state.syn + x
    drive = syn if p.current_first else state.syn
    mem = p.beta * state.mem * (1.0 - fired) + drive + p.mem_bias
    spikes = spike_fn(mem - p.threshold)
    return spikes, CubaState(syn, mem, spikes)


CUBA_MODEL = NeuronModel(
    name="cuba", label="NIR CubaLIF (Euler)", params=object, step=cuba_step,
    initial_state=lambda zeros: CubaState(zeros, zeros, zeros),
    equations="NIR's CubaLIF, forward Euler", trainable=False, traces=("syn", "mem"),
)


@dataclass(frozen=True)
class StepParams:
    """Per-neuron discrete parameters as tensors (the registry's steps read only attributes)."""

    beta: torch.Tensor
    alpha: torch.Tensor | float
    threshold: torch.Tensor
    mem_bias: torch.Tensor | float = 0.0
    reset: str = "hard"
    current_first: bool = False


@dataclass
class LayerResult:
    """One layer's spikes (None when it does not spike) and membrane [T, B, *shape]."""

    name: str
    spikes: torch.Tensor | None
    mem: torch.Tensor
    syn: torch.Tensor | None = None


@dataclass
class OpCount:
    """Per-projection NeuroBench counts over a batch (sums, not yet per sample)."""

    acs: float = 0.0
    macs: float = 0.0
    dense: float = 0.0
    fan_out: float | None = None  # mean non-zero weights per input of the first weighted op
    uniform: bool = True  # whether every input of that op reaches as many non-zero weights


@dataclass
class SimResult:
    layers: list[LayerResult]
    counts: list[OpCount]  # per layer after the input: the projection into it
    recurrent: list[OpCount | None]  # per layer after the input: its recurrent projection
    input_binary: bool

    @property
    def scores(self) -> torch.Tensor:
        """[B, classes]: the readout's maximum membrane, or the output layer's spike count."""
        last = self.layers[-1]
        flat = (last.spikes if last.spikes is not None else last.mem).flatten(2)
        return flat.sum(0) if last.spikes is not None else flat.max(0).values


def _t(value: Any) -> torch.Tensor:
    return torch.as_tensor(value, dtype=torch.float32)


def fan_out(op: Op, dense: bool = False) -> torch.Tensor | None:
    """Per input element: how many non-zero weights (all weights if ``dense``) it reaches."""
    if op.kind == "flatten":
        return None
    w = _t(op.weight)
    w = torch.ones_like(w) if dense else (w != 0).float()
    with torch.enable_grad():
        x = torch.zeros(1, *op.in_shape, requires_grad=True)
        y = (torch.nn.functional.linear(x, w) if op.kind == "dense"
             else torch.nn.functional.conv2d(x, w, None, **op.conv))
        y.sum().backward()
    return x.grad[0].detach()


def _count(op: Op, x: torch.Tensor, count: OpCount) -> None:
    """Add NeuroBench's effective and dense operations of ``op`` on input [T, B, *in]."""
    fan, full = fan_out(op), fan_out(op, dense=True)
    if fan is None:
        return
    if count.fan_out is None:
        count.fan_out = float(fan.sum()) / fan.numel()
        count.uniform = bool((fan == fan.reshape(-1)[0]).all())
    nonzero = (x != 0).float().flatten(2)  # [T, B, n]
    per_step = nonzero @ fan.reshape(-1)  # [T, B]
    spiking = ((x == 0) | (x == 1) | (x == -1)).flatten(1).all(1)  # [T]
    count.acs += float(per_step[spiking].sum())
    count.macs += float(per_step[~spiking].sum())
    count.dense += float(full.sum()) * x.shape[0] * x.shape[1]


def _project(ops: tuple[Op, ...], x: torch.Tensor, count: OpCount) -> torch.Tensor:
    steps, batch = x.shape[:2]
    for op in ops:
        _count(op, x, count)
        x = op.apply(x.reshape(steps * batch, *op.in_shape)).reshape(steps, batch, *op.out_shape)
    return x


def _readout(pop: Population, h: torch.Tensor) -> torch.Tensor:
    scale, bias = _t(pop.scale), _t(pop.bias)
    if pop.model == "identity":
        return h
    if pop.model == "li":
        return leaky_integrate(scale * h + bias, _t(pop.beta))
    current = leaky_integrate(scale * h, _t(pop.alpha))
    if not pop.current_first:  # Euler: the membrane adds the previous step's current
        current = torch.cat([torch.zeros_like(current[:1]), current[:-1]])
    return leaky_integrate(current + bias, _t(pop.beta))


def _run_layer(layer: Layer, h: torch.Tensor) -> tuple[LayerResult, OpCount | None]:
    pop = layer.neurons
    if not pop.spiking:
        return LayerResult(pop.name, None, _readout(pop, h)), None
    scale = _t(pop.scale)
    cuba = pop.model == "cuba"
    params = StepParams(beta=_t(pop.beta), alpha=_t(pop.alpha) if pop.alpha is not None else 0.0,
                        threshold=_t(pop.threshold), mem_bias=_t(pop.bias) if cuba else 0.0,
                        current_first=pop.current_first)
    drive = scale * h if cuba else scale * h + _t(pop.bias)
    feedback, seen = None, []
    if layer.recurrent is not None:
        rec = layer.recurrent

        def feedback(spikes: torch.Tensor) -> torch.Tensor:
            seen.append(spikes)
            return scale * rec.apply(spikes)

    model: NeuronModel = CUBA_MODEL if cuba else get_model(pop.model)
    record = ("syn", "mem") if "syn" in model.traces else ("mem",)
    trace = run_model(model, params, drive, feedback=feedback, delay=pop.delay, record=record)
    count = None
    if seen:
        count = OpCount()
        _count(layer.recurrent, torch.stack(seen), count)
    return (LayerResult(pop.name, trace.spikes, trace.traces["mem"], trace.traces.get("syn")),
            count)


def simulate(net: ImportedNet, x: torch.Tensor) -> SimResult:
    """Spikes, membranes and NeuroBench operation counts of ``net`` for input [T, B, ...]."""
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.dim() < 3:
        raise ValueError("The input needs [time steps, samples, *features] dimensions.")
    if x.shape[2:].numel() != int(torch.tensor(net.input_shape).prod()):
        raise ValueError(f"The network takes {net.layer_sizes[0]} inputs per step "
                         f"(shape {net.input_shape}); the data gives {tuple(x.shape[2:])}.")
    x = x.reshape(*x.shape[:2], *net.input_shape)
    binary = bool(((x == 0) | (x == 1)).all())
    layers, counts, recurrent = [LayerResult("input", x if binary else None, x)], [], []
    h = x
    with torch.no_grad():
        for layer in net.layers:
            count = OpCount()
            current = _project(layer.ops, h, count)
            result, rec = _run_layer(layer, current)
            layers.append(result)
            counts.append(count)
            recurrent.append(rec)
            h = result.spikes if result.spikes is not None else result.mem
    return SimResult(layers, counts, recurrent, binary)
