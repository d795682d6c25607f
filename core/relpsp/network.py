"""Networks of single-spike neurons: input coding, parameters, forward pass and loss.

Every layer maps input spike times [batch, n_in] to output spike times [batch, n_out] with the
exact event-driven solution of its kernel (``functional.relpsp_layer`` for ReL-PSP,
``alpha.alpha_layer`` for alpha-PSP). With ``bias_spike`` each layer also receives a reference
spike at t = 0 whose weights are learnt, like a bias. The convolutional variant (a C-SNN) runs
its conv layers first (``core.relpsp.conv``: the same neuron on every patch, padding inputs never
spike), each followed by earliest-spike pooling (a max-pool in the temporal code), then the
fully connected layers.

Loss (Zhang et al. 2022): softmax over the negative output spike times, cross-entropy with the
label; the prediction is the earliest output spike. An output neuron that stays silent enters
the softmax at 3 * t_max (no gradient flows through it); when the silent neuron is the target,
``silent_penalty`` * max(0, 1 - sum of its weights from inputs that spiked) gives it the push to
fire again. Hidden layers get no such help, so their dead-neuron ratio is the kernel's own.
The softmax does not change when every output moves by the same time, so nothing holds the
outputs early; ``time_penalty`` * t_target / t_max adds that pull (Goeltz et al. 2021 add an
exponential term of the target's time for the same reason). Nothing stops the other outputs
from being pushed later either: ``margin`` M counts an output more than M later than the
target as exactly M later, so the loss of a sample whose target leads by M is a constant,
log(1 + (classes - 1) e^-M), with no gradient.

Input coding: ``latency`` (default) spikes at t = t_max * (1 - x) and a zero pixel never spikes;
``ttfs`` uses ``core.encoders.ttfs_times`` rescaled from its 0..tmax window to 0..t_max, and an
input that would fire at or after the window (below the TTFS threshold) stays silent. On digits
the linear code trains a little better (0.950 against 0.939 and 0.944 test accuracy, seeds 0
and 3, default settings): its times spread evenly over the window, while TTFS crowds the
bright pixels near its earliest time and drops pixels below its threshold (0.2).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from core.encoders import TTFSParams, ttfs_times
from core.relpsp.alpha import alpha_layer
from core.relpsp.augment import drop_spikes
from core.relpsp.config import ConvSpec, RelpspConfig, conv_plan, out_side
from core.relpsp.conv import conv_layer, earliest_pool, patches
from core.relpsp.functional import relpsp_layer

Params = dict[str, torch.Tensor]
SILENT_FACTOR = 3.0  # silent outputs enter the loss at SILENT_FACTOR * t_max
BRAILLE_LEVELS = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)  # standardised units
INIT_SPREAD = 0.3


def encode_images(x: np.ndarray, config: RelpspConfig) -> torch.Tensor:
    """Spike times [N, pixels] (``inf`` = no spike) of images in [0, 1]."""
    flat = torch.as_tensor(np.asarray(x), dtype=torch.float64).reshape(len(x), -1)
    if config.encoding == "ttfs":
        params = TTFSParams()
        t = ttfs_times(flat, params)
        t = torch.where(t < params.tmax, t * (config.t_max / params.tmax), math.inf)
    else:
        t = torch.where(flat > 0, config.t_max * (1.0 - flat), math.inf)
    return t.float()


def encode_timeseries(x: np.ndarray, config: RelpspConfig) -> torch.Tensor:
    """Level-crossing latency code of [N, T, channels] series: [N, channels * levels] times.

    Input (c, L) spikes when channel c first reaches level L (x >= L for L > 0, x <= L for
    L < 0), at that step's position in the window [0, t_max]; it stays silent when never.
    """
    arr = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    steps = arr.shape[1]
    when = torch.arange(steps, dtype=torch.float64) * (config.t_max / max(steps - 1, 1))
    out = []
    for level in BRAILLE_LEVELS:
        hit = arr >= level if level > 0 else arr <= level  # [N, T, C]
        first = torch.argmax(hit.to(torch.uint8), dim=1)
        out.append(torch.where(hit.any(dim=1), when[first], math.inf))
    return torch.cat(out, dim=1).float()


def encode(x: np.ndarray, kind: str, config: RelpspConfig) -> torch.Tensor:
    """Spike times of a data set's samples for ``kind`` ``image`` or ``timeseries``."""
    if kind == "image":
        if x.ndim == 4 and x.shape[1] != 1:
            raise ValueError("ReL-PSP networks here take grey images; colour is not supported.")
        return encode_images(x, config)
    if kind == "timeseries":
        return encode_timeseries(x, config)
    raise ValueError(f"ReL-PSP training takes image or time-series data sets (got {kind!r}).")


def _init(n_in: int, n_out: int, gain: float, gen: torch.Generator) -> torch.Tensor:
    """Uniform weights, mean 2 * gain / n_in, so a neuron's summed weight is about 2 * gain.

    The spread is INIT_SPREAD times the usual fan-in uniform's (+-sqrt(3 / n_in)): with the
    full spread the slopes sum_C w scatter, some near zero, the first output spikes scatter
    over a wide range and the softmax starts out confidently wrong (on digits, 64 hidden, 600
    samples, 3 epochs: 0.25-0.52 test accuracy at spread 1, 0.80 at 0.3).
    """
    u = torch.rand(n_in, n_out, generator=gen, dtype=torch.float64) * 2 - 1
    return (u * INIT_SPREAD * math.sqrt(3.0 / n_in) + 2.0 / n_in).mul(gain).float()


def layer_plan(config: RelpspConfig, n_inputs: int, n_classes: int,
               side: int | None) -> list[tuple[str, int, int, int]]:
    """(name, rows, fan-in without the bias spike, fan-out) of every layer in forward order:
    ``conv0``, ``conv1``, ... (rows: the output pixels sharing the weights), ``fc0``, ...,
    ``out``."""
    plan: list[tuple[str, int, int, int]] = []
    fan_in = n_inputs
    if config.arch == "conv":
        if side is None:
            raise ValueError("The convolutional network needs square images.")
        steps = conv_plan(config.conv_layers, side, n_inputs // (side * side), config.pool)
        for n, (spec, c_in, _, conv_side, pooled) in enumerate(steps):
            plan.append((f"conv{n}", conv_side**2, c_in * spec.kernel**2, spec.channels))
            fan_in = spec.channels * pooled**2
    for i, h in enumerate(config.hidden):
        plan.append((f"fc{i}", 1, fan_in, h))
        fan_in = h
    return plan + [("out", 1, fan_in, n_classes)]


def init_params(
    config: RelpspConfig, n_inputs: int, n_classes: int, side: int | None, gen: torch.Generator
) -> Params:
    """Weights of every layer, [fan-in (+1 for the bias spike), fan-out]."""
    gain = config.init_gain * (config.theta if config.psp == "alpha" else 1.0)
    extra = 1 if config.bias_spike else 0
    return {name: _init(fan_in + extra, fan_out, gain, gen)
            for name, _, fan_in, fan_out in layer_plan(config, n_inputs, n_classes, side)}


def _neurons(t_in: torch.Tensor, w: torch.Tensor, config: RelpspConfig) -> torch.Tensor:
    if config.bias_spike:
        t_in = torch.cat([torch.zeros_like(t_in[:, :1]), t_in], dim=1)
    if config.psp == "alpha":
        return alpha_layer(t_in, w, config.theta, config.tau, config.min_slope)
    return relpsp_layer(t_in, w, config.theta, config.min_slope)


def _conv(t_img: torch.Tensor, w: torch.Tensor, spec: ConvSpec,
          config: RelpspConfig) -> torch.Tensor:
    """One conv layer over [B, C, S, S] times (``core.relpsp.conv``)."""
    if config.psp == "relpsp":
        return conv_layer(t_img, w, spec, config.theta, config.min_slope, config.bias_spike)
    b, _, s, _ = t_img.shape
    side = out_side(s, spec)
    out = _neurons(patches(t_img, spec, False), w, config)  # alpha-PSP: the dense layer
    return out.reshape(b, side * side, -1).transpose(1, 2).reshape(b, -1, side, side)


def layer_names(params: Params) -> list[str]:
    """Layer names in forward order: ``conv0``, ``conv1``, ..., ``fc0``, ``fc1``, ..., ``out``."""
    def numbered(prefix: str) -> list[str]:
        names = [k for k in params if k.startswith(prefix) and k[len(prefix):].isdigit()]
        return sorted(names, key=lambda k: int(k[len(prefix):]))

    return numbered("conv") + numbered("fc") + ["out"]


class Forward(NamedTuple):
    """Spike times of a forward pass, per layer in ``layer_names`` order."""

    output: torch.Tensor  # [batch, classes]
    layers: list[torch.Tensor]  # each layer's output times, flattened; the last is ``output``
    inputs: list[torch.Tensor]  # each layer's input times, flattened (conv: before unfolding)
    w_out: torch.Tensor  # the output layer's weights as this pass used them (dropout: scaled)


def forward(params: Params, t_in: torch.Tensor, config: RelpspConfig,
            drop: torch.Generator | None = None) -> Forward:
    """Run the network on input spike times [batch, inputs] (conv layers: grey square
    images, flattened). ``drop``: training, the fully connected layers' inputs lose spikes
    at the rate ``config.dropout``, drawn from this generator."""
    layers: list[torch.Tensor] = []
    inputs: list[torch.Tensor] = []
    t = t_in
    names = layer_names(params)
    convs = [n for n in names if n.startswith("conv")]
    if convs:
        side = math.isqrt(t_in.shape[1])
        t = t.reshape(-1, 1, side, side)
        for name, spec in zip(convs, config.conv_layers, strict=True):
            inputs.append(t.flatten(1))
            t = _conv(t, params[name], spec, config)
            layers.append(t.flatten(1))
            t = earliest_pool(t, config.pool)
        t = t.flatten(1)
    dropping = drop is not None and config.dropout > 0
    for name in names[len(convs):]:
        w = params[name]
        if dropping:
            t, w = drop_spikes(t, config.dropout, drop), w / (1.0 - config.dropout)
        inputs.append(t)
        t = _neurons(t, w, config)
        layers.append(t)
    return Forward(t, layers, inputs, w)


def predict(t_out: torch.Tensor) -> torch.Tensor:
    """The class whose output neuron fires first."""
    return torch.argmin(t_out, dim=1)


def loss_fn(
    t_out: torch.Tensor, t_last_in: torch.Tensor, w_out: torch.Tensor, y: torch.Tensor,
    config: RelpspConfig,
) -> torch.Tensor:
    """Cross-entropy of softmax(-t_out), plus the silent-target penalty (module docstring)."""
    fired = torch.isfinite(t_out)
    t_seen = torch.where(fired, t_out, torch.full_like(t_out, SILENT_FACTOR * config.t_max))
    t_target = t_seen.gather(1, y[:, None])
    late = t_seen
    if config.margin > 0:  # each output's lag behind the target, no more than the margin
        late = (t_seen - t_target).clamp(max=config.margin)
    loss = F.cross_entropy(-late, y)  # softmax(-t) does not change when every t moves
    if config.time_penalty > 0:  # the target output pulled early (Goeltz et al. 2021's term)
        loss = loss + config.time_penalty * (t_target / config.t_max).mean()
    if config.silent_penalty > 0:
        if config.bias_spike:
            t_last_in = torch.cat([torch.zeros_like(t_last_in[:, :1]), t_last_in], dim=1)
        w_target = w_out[:, y].T  # [batch, fan-in]
        summed = (w_target * torch.isfinite(t_last_in)).sum(dim=1)
        silent = ~fired.gather(1, y[:, None]).squeeze(1)
        loss = loss + config.silent_penalty * (F.relu(1.0 - summed) * silent).mean()
    return loss
