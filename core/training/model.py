"""The SpyTorch network: parameters, the spiking encoder layer and the forward pass.

Zenke & Vogels (2021), Neural Computation 33(4); SpyTorch tutorials 2, 4 and 5. Input spikes (or,
for time series, the spikes of an encoder layer) drive a current-based LIF hidden layer,
optionally recurrent, read out by leaky non-spiking units::

    I[t+1] = alpha I[t] + x[t] W (+ S[t-1] V)      U[t+1] = (beta U[t] + I[t]) (1 - S[t])
    S[t]   = H(U[t] - 1), backward 1 / (scale |U[t] - 1| + 1)^2   (fast sigmoid, scale per run)

with alpha = exp(-dt / tau_syn), beta = exp(-dt / tau_mem). That is the default hidden neuron,
``"synaptic"``; ``config.neuron`` picks any trainable model of the neuron registry instead. The
hidden layer and readout run through ``core.engine.forward`` (``engine="reference"`` or
``"fast"``), the one place that holds their formulation. The encoder (tutorial 5) gives each
channel ``fan_out`` LIF neurons with trainable gain g and bias b::

    E[t+1] = (beta_e E[t] + (1 - beta_e) g (x[t] + b)) (1 - Z[t]),   Z[t] = H(E[t] - 1)

run by the one time loop on the reference engine and, on the fast engine, by its fused
compiled loop (``core.engine.encoder``; the same spikes and gradients, bit for bit).

Initial weights are normal with std = weight_scale / sqrt(fan_in), as in SpyTorch. With
``normalised`` the hidden layer and readout see their weights times (1 - beta), which is how
tutorial 5 writes U[t+1] = beta U[t] + (1 - beta) I[t].
"""

from __future__ import annotations

import math

import torch

from core.engine import Output, Weights, forward
from core.engine.encoder import encoder_layer
from core.training.config import TrainConfig

Params = dict[str, torch.Tensor]


def network_inputs(kind: str, channels: int, config: TrainConfig) -> int:
    """Width of the hidden layer's input: the channels, times ``fan_out`` for time series."""
    return channels * config.fan_out if kind == "timeseries" else channels


def init_params(
    kind: str, channels: int, outputs: int, config: TrainConfig, generator: torch.Generator
) -> Params:
    """Seeded initial parameters (CPU, float32, requiring gradients)."""
    n_in = network_inputs(kind, channels, config)

    def normal(*shape: int, std: float) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * std

    params: Params = {
        "w1": normal(n_in, config.hidden, std=config.weight_scale / math.sqrt(n_in)),
        "w2": normal(config.hidden, outputs, std=config.weight_scale / math.sqrt(config.hidden)),
    }
    if config.recurrent:
        std = config.rec_weight_scale / math.sqrt(config.hidden)
        params["v1"] = normal(config.hidden, config.hidden, std=std)
    if kind == "timeseries":
        params["enc_gain"] = normal(n_in, std=1.0)
        params["enc_bias"] = normal(n_in, std=1.0)
    for tensor in params.values():
        tensor.requires_grad_(True)
    return params


def encoder_spikes(
    params: Params, values: torch.Tensor, beta_e: float, scale: float, fan_out: int,
    compiled: bool | None = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder spikes and membranes [T, B, C * fan_out] for values [T, B, C].

    The encoder's update is SpyTorch's current-based neuron without synaptic filtering: the
    registry's "synaptic" model with alpha = 0, hard reset, threshold 1, driven by
    (1 - beta_e) g (x + b). ``compiled``: False runs the one time loop (the reference); None
    the fast engine's fused loop where it runs (``core.engine.encoder``: the same spikes and
    gradients, bit for bit; its membranes carry no gradient).
    """
    currents = params["enc_gain"] * (values.repeat(1, 1, fan_out) + params["enc_bias"])
    return encoder_layer((1.0 - beta_e) * currents, 0.0, beta_e, scale, compiled)


def run(
    params: Params, x: torch.Tensor, kind: str, config: TrainConfig, dt_ms: float
) -> tuple[Output, torch.Tensor | None]:
    """Readout, spike counts and hidden spikes for a batch [T, B, ...]; encoder spikes if any."""
    enc = None
    if kind == "timeseries":
        beta_e = math.exp(-dt_ms / config.encoder_tau_ms)
        fused = None if config.engine == "fast" else False  # the reference: the one loop
        enc, _ = encoder_spikes(params, x, beta_e, config.scale, config.fan_out, fused)
        x = enc
    cfg = config.with_dt(dt_ms)
    weights = effective_weights(params, config, dt_ms)
    output = forward(config.engine, x, weights, cfg.alpha, cfg.beta, config.scale,
                     config.neuron)
    return output, enc


def effective_weights(params: Params, config: TrainConfig, dt_ms: float) -> Weights:
    """W, V, W2 as the hidden layer and readout use them (times 1 - beta if ``normalised``)."""
    weights = Weights(params["w1"], params.get("v1"), params["w2"])
    if not config.normalised:
        return weights
    gain = 1.0 - config.with_dt(dt_ms).beta  # tutorial 5: U <- beta U + (1 - beta) I
    return Weights(*(None if w is None else w * gain for w in weights))

