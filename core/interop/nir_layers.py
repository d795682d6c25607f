"""The pieces of an imported NIR network: linear operations and neuron populations.

``make_op`` checks an Affine, Linear, Conv2d or Flatten node against the shape it receives;
``population`` converts a neuron node's continuous-time parameters to discrete-time ones at a
time step dt (forward Euler; the equations are in ``core.interop.nir_graph``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.limits import clip

LINEAR_TYPES = ("Affine", "Linear", "Conv2d", "Flatten")
NEURON_TYPES = ("LIF", "CubaLIF", "IF", "LI", "CubaLI")


def dims(shape: Any) -> str:
    """A shape for a message: its first six sizes, then "…" (a file may declare many)."""
    if shape is None:
        return "None"
    sizes = tuple(int(n) for n in np.asarray(shape).reshape(-1)[:7])
    if len(sizes) > 6:
        return "(" + ", ".join(map(str, sizes[:6])) + ", …)"
    return str(sizes)


def finite(name: str, key: str, value: np.ndarray) -> np.ndarray:
    """``value``, after refusing NaN or infinite entries (the network would never spike)."""
    if not np.all(np.isfinite(value)):
        bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
        raise ValueError(f"Node {name!r}: {key} holds {bad:,} value(s) that are not finite "
                         "numbers (NaN or infinity); SpikeLab imports finite weights only.")
    return value


@dataclass(frozen=True)
class Op:
    """One linear operation: ``kind`` is "dense" (Affine, Linear), "conv2d" or "flatten"."""

    name: str
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    weight: np.ndarray | None = field(default=None, repr=False)
    bias: np.ndarray | None = field(default=None, repr=False)
    conv: dict[str, Any] = field(default_factory=dict)

    def apply(self, x: torch.Tensor, bias: bool = True) -> torch.Tensor:
        """[N, *in_shape] -> [N, *out_shape]."""
        if self.kind == "flatten":
            return x.reshape(x.shape[0], *self.out_shape)
        w = torch.as_tensor(self.weight, dtype=x.dtype)
        b = torch.as_tensor(self.bias, dtype=x.dtype) if bias and self.bias is not None else None
        if self.kind == "dense":
            return torch.nn.functional.linear(x, w, b)
        return torch.nn.functional.conv2d(x, w, b, **self.conv)


def _dense(name: str, node: Any, shape: tuple[int, ...]) -> Op:
    weight = finite(name, "weight", np.asarray(node.weight, dtype=np.float32))
    if weight.ndim != 2:
        raise ValueError(f"Node {name!r}: a {type(node).__name__} weight is a matrix "
                         f"[outputs, inputs], not shape {dims(weight.shape)}.")
    if len(shape) != 1 or shape[0] != weight.shape[1]:
        raise ValueError(f"Shape mismatch at node {name!r}: its weight takes {weight.shape[1]} "
                         f"inputs, but it receives shape {dims(shape)}.")
    bias = getattr(node, "bias", None)
    if bias is not None:
        bias = finite(name, "bias", np.asarray(bias, dtype=np.float32).reshape(-1))
        if bias.size != weight.shape[0]:
            raise ValueError(f"Node {name!r}: {bias.size} biases for {weight.shape[0]} outputs.")
    return Op(name, "dense", shape, (int(weight.shape[0]),), weight, bias)


def _conv(name: str, node: Any, shape: tuple[int, ...]) -> Op:
    weight = finite(name, "weight", np.asarray(node.weight, dtype=np.float32))
    if weight.ndim != 4 or len(shape) != 3:
        raise ValueError(f"Shape mismatch at node {name!r}: a Conv2d takes [channels, height, "
                         f"width] input and a 4-d weight (got input {dims(shape)}, weight "
                         f"{dims(weight.shape)}).")
    padding = node.padding if isinstance(node.padding, str) else tuple(np.atleast_1d(node.padding))
    conv = {"stride": tuple(int(s) for s in np.atleast_1d(node.stride)),
            "padding": padding if isinstance(padding, str) else tuple(int(p) for p in padding),
            "dilation": tuple(int(d) for d in np.atleast_1d(node.dilation)),
            "groups": int(node.groups)}
    bias = (finite(name, "bias", np.asarray(node.bias, dtype=np.float32).reshape(-1))
            if node.bias is not None else None)
    try:
        out = torch.nn.functional.conv2d(torch.zeros(1, *shape, device="meta"),  # shape only
                                         torch.as_tensor(weight, device="meta"),
                                         None, **conv)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"Shape mismatch at node {name!r}: its {dims(weight.shape)} kernel "
                         f"cannot take input of shape {dims(shape)} "
                         f"({clip(str(exc).splitlines()[0], 120)}).") from None
    if bias is not None and bias.size not in (1, weight.shape[0]):
        raise ValueError(f"Node {name!r}: {bias.size} biases for {weight.shape[0]} channels.")
    if bias is not None and bias.size == 1:
        bias = np.full(weight.shape[0], bias[0], dtype=np.float32)
    return Op(name, "conv2d", shape, tuple(out.shape[1:]), weight, bias, conv)


def _flatten(name: str, node: Any, shape: tuple[int, ...]) -> Op:
    """NIR's Flatten dims exclude the batch (as snnTorch's export writes them)."""
    rank = len(shape)
    start, end = int(node.start_dim), int(node.end_dim)
    start, end = start + rank if start < 0 else start, end + rank if end < 0 else end
    if not 0 <= start <= end < rank:
        start, end = 0, rank - 1  # dims beyond the sample's rank: flatten the whole sample
    out = (*shape[:start], int(np.prod(shape[start:end + 1])), *shape[end + 1:])
    return Op(name, "flatten", shape, tuple(out))


def make_op(name: str, node: Any, shape: tuple[int, ...]) -> Op:
    """The checked linear operation of ``node`` receiving ``shape`` (per sample)."""
    kind = type(node).__name__
    if kind in ("Affine", "Linear"):
        return _dense(name, node, shape)
    if kind == "Conv2d":
        return _conv(name, node, shape)
    return _flatten(name, node, shape)


@dataclass(frozen=True)
class Population:
    """Neurons in discrete time: ``model`` is a registry name ("lif", "if", "synaptic"), "cuba"
    (NIR's CubaLIF), "li"/"cubali" (leaky readouts) or "identity" (a linear readout)."""

    name: str
    nir_type: str
    model: str
    shape: tuple[int, ...]
    spiking: bool
    beta: np.ndarray = field(repr=False)
    alpha: np.ndarray | None = field(default=None, repr=False)
    threshold: np.ndarray | None = field(default=None, repr=False)
    scale: np.ndarray | float = field(default=1.0, repr=False)
    bias: np.ndarray | float = field(default=0.0, repr=False)
    delay: int = 0
    current_first: bool = False

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def describe(self) -> dict[str, Any]:
        """Model, size and parameters (one number when uniform, else min/mean/max)."""
        out: dict[str, Any] = {"layer": self.name, "nir_type": self.nir_type,
                               "model": self.model, "size": self.size, "shape": list(self.shape),
                               "spiking": self.spiking, "input_delay_steps": self.delay}
        for key in ("beta", "alpha", "threshold", "scale", "bias"):
            value = getattr(self, key)
            if value is not None:
                out["input_scale" if key == "scale" else key] = _summary(value)
        return out


def _summary(value: Any) -> Any:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 or np.all(arr == arr.flat[0]):
        return float(arr.flat[0]) if arr.size else None
    return {"min": float(arr.min()), "mean": float(arr.mean()), "max": float(arr.max())}


def _param(name: str, node: Any, key: str, shape: tuple[int, ...], default: float | None = None
           ) -> np.ndarray:
    value = getattr(node, key, None)
    if value is None:
        if default is None:
            raise ValueError(f"Node {name!r} has no {key}.")
        value = default
    arr = np.asarray(value, dtype=np.float64)
    try:
        arr = np.broadcast_to(arr.reshape(arr.shape if arr.size > 1 else ()), shape)
    except ValueError:
        raise ValueError(f"Shape mismatch at node {name!r}: its {key} has shape "
                         f"{dims(arr.shape)}, the layer before it gives {dims(shape)}.") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"Node {name!r}: {key} holds a value that is not a finite number.")
    return np.array(arr, dtype=np.float64)  # a writable copy of the broadcast view


def _decay(name: str, node: Any, key: str, shape: tuple[int, ...], dt: float) -> np.ndarray:
    """dt / tau, which must lie in (0, 1]: forward Euler overshoots when tau < dt."""
    tau = _param(name, node, key, shape)
    if np.any(tau <= 0):
        raise ValueError(f"Node {name!r}: {key} must be positive seconds (got {tau.min():g}).")
    k = dt / tau
    if np.any(k > 1.0 + 1e-6):
        raise ValueError(f"Node {name!r}: {key} = {tau.min():g} s is shorter than the time step "
                         f"dt = {dt:g} s, so the Euler step overshoots; give a smaller dt (a file "
                         "from Norse's to_nir writes dt·tau: read it with the Norse convention).")
    return np.minimum(k, 1.0)


def _threshold(name: str, node: Any, shape: tuple[int, ...]) -> np.ndarray:
    reset = _param(name, node, "v_reset", shape, default=0.0)
    if np.any(reset != 0):
        raise ValueError(f"Node {name!r}: v_reset = {reset.flat[0]:g}; SpikeLab's neurons "
                         "reset to 0, so it imports only v_reset = 0.")
    return _param(name, node, "v_threshold", shape)


def population(name: str, node: Any, shape: tuple[int, ...], dt: float, order: str,
               dialect: str) -> Population:
    """Discrete-time neurons of ``node`` (None: a linear readout) fed with ``shape``."""
    kind = "identity" if node is None else type(node).__name__
    ones = np.ones(shape)
    if kind == "identity":
        return Population(name, "none", "identity", shape, False, ones)
    if kind == "IF":
        return Population(name, kind, "if", shape, True, ones, None, _threshold(name, node, shape),
                          _param(name, node, "r", shape))
    if kind in ("LIF", "LI"):
        k = _decay(name, node, "tau", shape, dt)
        scale = _param(name, node, "r", shape) * k
        bias = _param(name, node, "v_leak", shape, default=0.0) * k
        if kind == "LI":
            return Population(name, kind, "li", shape, False, 1 - k, None, None, scale, bias)
        if dialect == "spikelab":  # the encoder: synaptic with alpha = 0, input one step late
            return Population(name, kind, "synaptic", shape, True, 1 - k, 0 * k,
                              _threshold(name, node, shape), scale, bias)
        return Population(name, kind, "lif", shape, True, 1 - k, None,
                          _threshold(name, node, shape), scale, bias)
    ks, km = _decay(name, node, "tau_syn", shape, dt), _decay(name, node, "tau_mem", shape, dt)
    w_in = _param(name, node, "w_in", shape, default=1.0)
    scale = w_in * ks * _param(name, node, "r", shape) * km
    bias = _param(name, node, "v_leak", shape, default=0.0) * km
    if kind == "CubaLI":
        return Population(name, kind, "cubali", shape, False, 1 - km, 1 - ks, None, scale, bias,
                          current_first=order == "snntorch" and dialect != "spikelab")
    if dialect == "spikelab":
        return Population(name, kind, "synaptic", shape, True, 1 - km, 1 - ks,
                          _threshold(name, node, shape), scale, bias, delay=1)
    return Population(name, kind, "cuba", shape, True, 1 - km, 1 - ks,
                      _threshold(name, node, shape), scale, bias,
                      current_first=order == "snntorch")
