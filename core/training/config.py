"""The configuration of one surrogate-gradient training run, validated on construction.

A ``TrainConfig`` is frozen and hashable: it is the run's identity in the store, a cache key for
the pages and the parameters of one grid-search trial. ``core.training.defaults`` holds the
per-data-set values taken from the SpyTorch tutorials.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core.engine import check_engine
from core.neurons.params import MAX_EPOCHS, MAX_FLOAT32, MAX_SEED
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
        for name in ("hidden", "steps", "epochs", "batch_size", "fan_out"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1 (got {value!r}).")
        if self.epochs > MAX_EPOCHS:  # the memory check (core.training.memory) bounds the sizes
            raise ValueError(f"epochs must be at most {MAX_EPOCHS:,} (got {self.epochs:,}).")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not (
                0 <= self.seed <= MAX_SEED):
            raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED:,} "
                             f"(got {self.seed!r}).")
        for name in ("max_train", "max_test"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be at least 1 when given (got {value!r}).")
        for name in ("scale", "lr", "tau_mem_ms", "tau_syn_ms", "dt_ms", "weight_scale",
                     "encoder_tau_ms", "ttfs_tau_ms"):
            value = getattr(self, name)
            if not _finite(value) or not 0 < value <= MAX_FLOAT32:
                raise ValueError(f"{name} must be a positive number up to {MAX_FLOAT32:.2g} "
                                 f"(got {value!r}).")
        for name in ("reg", "reg_quadratic", "rec_weight_scale"):
            value = getattr(self, name)
            if not _finite(value) or not 0 <= value <= MAX_FLOAT32:
                raise ValueError(f"{name} must be zero or positive, up to {MAX_FLOAT32:.2g} "
                                 f"(got {value!r}).")
        if not 0 < self.beta2 < 1:
            raise ValueError(f"beta2 must lie strictly between 0 and 1 (got {self.beta2}).")
        if not 0 < self.ttfs_thr < 1:
            raise ValueError(f"ttfs_thr must lie strictly between 0 and 1 (got {self.ttfs_thr}).")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)} "
                             f"(got {self.optimizer!r}).")
        if self.neuron not in model_names(trainable=True):
            raise ValueError(f"neuron must be one of {', '.join(model_names(trainable=True))} "
                             f"(got {self.neuron!r}).")
        check_engine(self.engine, self.neuron)
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)} (got {self.device!r}).")

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


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
