"""Conv SNNs (IF/LIF, hard/soft reset) and their ReLU DNN baseline, built from an architecture.

Each conv layer is ``conv -> batch norm -> neuron`` (2x2 max pooling after the layers the search
space names); the head averages each map to 2x2 and reads it out with one linear layer. The
input image is fed as a constant current at every one of the T time steps (direct encoding) and
the logits are the head's output averaged over time.

The neurons are the architecture's model of the neuron registry (NAS label ``LIF`` -> registry
name ``lif``), run by the one time loop ``core.neurons.loop.run_model`` with the searched reset
and the fast-sigmoid surrogate gradient (Zenke & Ganguli 2018). The study's LIF is exactly
``snntorch.Leaky`` with its delayed reset (its IF the same without leak)::

    U[t] = beta * U[t-1] + I[t] - R[t],   S[t] = H(U[t] - theta)
    R[t] = theta * S[t-1] (soft)   or   beta * U[t-1] * S[t-1] (hard)
 The network runs layer by layer
over all T steps at once (one conv call per layer for the whole [T*B] batch), which is exact for
a feed-forward network and T times cheaper on the first layer, whose input is constant.

The fast path (``core.nas.fast_lif``, on CPU) runs each layer's neurons as one fused op over T
and, where the CPU computes bfloat16 natively, the convolutions under bfloat16 autocast (float32
master weights) in channels_last layout. In float32 the maps stay in the layout the one-channel
input gives (NCHW), so its convolutions are the reference's, bit for bit. ``ConvNet(fast=...)``
or the environment variable ``SPIKELAB_CONV_FAST`` chooses: ``"reference"`` / ``0`` is the
generic float32 loop above (the oracle the fast path is tested against), ``"fp32"`` the fast
path in float32, ``"bf16"`` in bfloat16; unset picks bfloat16 only where the CPU has
AVX512-BF16 or AMX (measured here, AVX512-BF16 without AMX: a step 1.7x faster than float32).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from core.checks import MAX_FLOAT32, check_positive, check_whole
from core.nas.fast_lif import conv_mode, fused_spikes
from core.nas.space import Architecture
from core.neurons.loop import run_model
from core.neurons.params import check_decay
from core.neurons.registry import make_params
from core.neurons.surrogate import fast_sigmoid_spike

#: The neuron models the fused loop runs (others take the reference loop).
FUSED: tuple[str, ...] = ("if", "lif")


@dataclass(frozen=True)
class NeuronConfig:
    """Neuron constants of the SNN: LIF decay per step, threshold, surrogate slope, T.

    ``lif_beta`` is the decay of every leaky model; a model without leak (IF) ignores it.
    """

    time_steps: int = 4
    lif_beta: float = 0.5
    threshold: float = 1.0
    surrogate_scale: float = 5.0

    def __post_init__(self) -> None:
        steps = check_whole("The number of time steps", self.time_steps, 1, 100)
        object.__setattr__(self, "time_steps", steps)
        # The same limits and sentence as LIFParams.beta: 1 is the IF neuron (no leak),
        # 0 a neuron with no memory of its last step.
        check_decay("The LIF decay lif_beta", self.lif_beta)
        check_positive("The threshold", self.threshold, MAX_FLOAT32)
        check_positive("The surrogate scale", self.surrogate_scale, MAX_FLOAT32)


class ConvNet(nn.Module):
    """The searched network; ``forward`` returns (logits, spikes per layer summed over batch)."""

    def __init__(
        self,
        arch: Architecture,
        in_channels: int,
        num_classes: int,
        pool_after: tuple[int, ...],
        neuron: NeuronConfig | None = None,
        fast: str | None = None,
    ) -> None:
        super().__init__()
        self.fast = None if fast is None else conv_mode(fast)  # None: SPIKELAB_CONV_FAST
        self.arch = arch
        self.pool_after = frozenset(pool_after)
        self.neuron = neuron or NeuronConfig()
        channels = [in_channels] + [filters for filters, _ in arch.layers]
        self.convs = nn.ModuleList(
            nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
            for c_in, c_out, (_, k) in zip(channels[:-1], channels[1:], arch.layers, strict=True)
        )
        self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in channels[1:])
        self.head = nn.Linear(channels[-1] * 4, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.arch.model == "dnn":
            return self._forward_dnn(x), torch.zeros(len(self.convs), device=x.device)
        mode = conv_mode(self.fast)
        if mode == "reference" or x.device.type != "cpu" or self._neuron_name not in FUSED:
            return self._forward_snn(x)
        return self._forward_fast(x, bf16=mode == "bf16")

    @property
    def _neuron_name(self) -> str:
        return str(self.arch.neuron).lower()

    def _forward_dnn(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            h = F.relu(norm(conv(h)))
            if i in self.pool_after and min(h.shape[-2:]) >= 2:
                h = F.max_pool2d(h, 2)
        return self.head(F.adaptive_avg_pool2d(h, 2).flatten(1))

    def _forward_snn(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        steps, batch = self.neuron.time_steps, x.shape[0]
        counts = []
        spikes = torch.empty(0)
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            if i == 0:  # constant input: one conv, the same current at every step
                current = norm(conv(x)).unsqueeze(0).expand(steps, -1, -1, -1, -1)
            else:
                flat = norm(conv(spikes.flatten(0, 1)))
                current = flat.view(steps, batch, *flat.shape[1:])
            spikes = self._spike_train(current)
            counts.append(spikes.detach().sum())
            if i in self.pool_after and min(spikes.shape[-2:]) >= 2:
                pooled = F.max_pool2d(spikes.flatten(0, 1), 2)
                spikes = pooled.view(steps, batch, *pooled.shape[1:])
        features = F.adaptive_avg_pool2d(spikes.flatten(0, 1), 2).flatten(1)
        logits = self.head(features).view(steps, batch, -1).mean(0)
        return logits, torch.stack(counts)

    def _forward_fast(self, x: torch.Tensor, bf16: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """``_forward_snn`` with fused neurons over [T*B, C, H, W] maps (no [T, B] split)."""
        cfg, steps, batch = self.neuron, self.neuron.time_steps, x.shape[0]
        beta = cfg.lif_beta if self._neuron_name == "lif" else 1.0
        neuron = (steps, beta, cfg.threshold, str(self.arch.reset), cfg.surrogate_scale)
        # bfloat16: channels_last weights too (once; the same values), 3-8% faster here; float32
        # keeps its weights, so its convolutions and the reference's are bit-identical.
        for conv in self.convs if bf16 else ():
            if not conv.weight.is_contiguous(memory_format=torch.channels_last):
                conv.weight.data = conv.weight.data.contiguous(memory_format=torch.channels_last)
        h, counts = x.contiguous(memory_format=torch.channels_last), []
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
                current = norm(conv(h))
                if bf16 and i == 0:  # one input channel left the layout NCHW: the [B] maps
                    current = current.contiguous(memory_format=torch.channels_last)
                h, count = fused_spikes(current, *neuron, const=i == 0)
                counts.append(count)
                if i in self.pool_after and min(h.shape[-2:]) >= 2:
                    h = F.max_pool2d(h, 2)
            features = F.adaptive_avg_pool2d(h, 2).flatten(1).float()
        logits = self.head(features).view(steps, batch, -1).mean(0)
        return logits, torch.stack(counts)

    def _spike_train(self, current: torch.Tensor) -> torch.Tensor:
        """Run the neurons over the time axis (0) of ``current``; return the spikes."""
        cfg = self.neuron
        name = str(self.arch.neuron).lower()
        params = make_params(name, beta=cfg.lif_beta, threshold=cfg.threshold,
                             reset=str(self.arch.reset))
        spike_fn = partial(fast_sigmoid_spike, scale=cfg.surrogate_scale)
        return run_model(name, params, current, spike_fn=spike_fn, record=()).spikes


def model_from_config(
    config: dict[str, Any], weights: dict[str, torch.Tensor] | None = None
) -> ConvNet:
    """Rebuild a saved NAS trial's network from its run-store configuration (and weights)."""
    try:
        arch_cfg = config["architecture"]
        arch = Architecture(
            arch_cfg["model"], tuple((int(f), int(k)) for f, k in arch_cfg["layers"]),
            arch_cfg.get("neuron"), arch_cfg.get("reset"),
        )
        model = ConvNet(arch, int(config["in_channels"]), int(config["num_classes"]),
                        tuple(config["pool_after"]), NeuronConfig(**config["neuron_config"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"The run's configuration is not a NAS trial's ({exc}).") from exc
    if weights is not None:
        try:
            model.load_state_dict(weights)
        except RuntimeError as exc:
            raise ValueError("The run's weights do not fit its architecture.") from exc
    return model


def count_parameters(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))
