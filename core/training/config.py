"""The configuration of one surrogate-gradient training run, validated on construction.

A ``TrainConfig`` is frozen and hashable: it is the run's identity in the store, a cache key for
the pages and the parameters of one grid-search trial. ``core.training.defaults`` holds the
per-data-set values taken from the SpyTorch tutorials.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core.checks import (
    MAX_FLOAT32,
    check_choice,
    check_positive,
    check_probability,
    check_range,
    check_whole,
)
from core.engine import check_engine
from core.neurons.params import MAX_EPOCHS, MAX_SEED
from core.neurons.registry import model_names

OPTIMIZERS: tuple[str, ...] = ("adam", "adamax")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainConfig:
    """Network, neuron, optimiser and data parameters of one run (times in ms).

    ``reg`` multiplies the total number of hidden spikes in a batch (thesis eq. 16-17);
    ``reg_quadratic`` multiplies SpyTorch's per-neuron term mean_j (sum_{b,t} S_j)^2.
    ``weight_scale`` / ``rec_weight_scale``: initial weights are normal with
    std = scale / sqrt(fan_in). ``fan_out`` (time series only) is the number of encoder neurons
    per input channel; ``dt_ms`` is the simulation step at the data set's own length (a time
    series resampled to other ``steps`` keeps its duration, so its step changes).
    ``normalised`` multiplies the synaptic input and the readout's input by (1 - beta), as
    SpyTorch tutorial 5 writes its update (the same network with weights scaled by 1 - beta).
    ``max_train``/``max_test`` cut the data to a stratified-free prefix for quick runs.
    ``neuron`` names the hidden layer's model in the neuron registry (``"synaptic"``: the
    SpyTorch current-based LIF); the fast engine trains only the models it accelerates.
    """

    dataset: str = "digits"
    hidden: int = 100
    steps: int = 100
    scale: float = 100.0
    reg: float = 0.0
    reg_quadratic: float = 0.0
    epochs: int = 30
    batch_size: int = 128
    lr: float = 2e-3
    optimizer: str = "adam"
    beta2: float = 0.999
    recurrent: bool = False
    seed: int = 0
    tau_mem_ms: float = 10.0
    tau_syn_ms: float = 5.0
    dt_ms: float = 1.0
    weight_scale: float = 0.2
    rec_weight_scale: float = 0.2
    fan_out: int = 32
    normalised: bool = False
    encoder_tau_ms: float = 20.0
    ttfs_tau_ms: float = 20.0
    ttfs_thr: float = 0.2
    neuron: str = "synaptic"
    engine: str = "fast"
    device: str = "auto"
    max_train: int | None = None
    max_test: int | None = None

    def __post_init__(self) -> None:
        for name, low, high in (("hidden", 1, None), ("steps", 1, None), ("batch_size", 1, None),
                                ("fan_out", 1, None), ("seed", 0, MAX_SEED),
                                # the memory check (core.training.memory) bounds the sizes
                                ("epochs", 1, MAX_EPOCHS)):
            object.__setattr__(self, name, check_whole(name, getattr(self, name), low, high))
        for name in ("max_train", "max_test"):
            if getattr(self, name) is not None:
                value = check_whole(name, getattr(self, name), 1, hint="or leave it out")
                object.__setattr__(self, name, value)
        for name in ("scale", "lr", "tau_mem_ms", "tau_syn_ms", "dt_ms", "weight_scale",
                     "encoder_tau_ms", "ttfs_tau_ms"):
            check_positive(name, getattr(self, name), MAX_FLOAT32)
        for name in ("reg", "reg_quadratic", "rec_weight_scale"):
            check_range(name, getattr(self, name), 0, MAX_FLOAT32)
        check_probability("beta2", self.beta2, zero=False, one=False)
        check_probability("ttfs_thr", self.ttfs_thr, zero=False, one=False)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("neuron", self.neuron, model_names(trainable=True))
        check_engine(self.engine, self.neuron)
        check_choice("device", self.device, DEVICES)

    @property
    def alpha(self) -> float:
        """Synaptic decay per step, exp(-dt / tau_syn)."""
        return math.exp(-self.dt_ms / self.tau_syn_ms)

    @property
    def beta(self) -> float:
        """Membrane decay per step, exp(-dt / tau_mem)."""
        return math.exp(-self.dt_ms / self.tau_mem_ms)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a stored configuration, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_dt(self, dt_ms: float) -> TrainConfig:
        return replace(self, dt_ms=dt_ms)

