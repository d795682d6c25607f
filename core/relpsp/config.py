"""Configuration of a ReL-PSP (or alpha-PSP) network trained with STDBP.

``RelpspConfig``'s field defaults hold for every data set; a data set's loader may override
some of them in ``INFO.defaults["relpsp"]`` (e.g. ``core.data.fashion_mnist``), which
``default_config`` applies: the command line and the ReL-PSP page start from it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from core.data.registry import dataset_info, dataset_names
from core.neurons.params import MAX_EPOCHS, MAX_FLOAT32, MAX_SEED

ARCHS = ("fc", "conv")
PSPS = ("relpsp", "alpha")
ENCODINGS = ("latency", "ttfs")
DATASETS = dataset_names("relpsp")  # the data sets whose loaders declare ReL-PSP use


def _positive(name: str, value: float) -> None:
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not 0 < value <= MAX_FLOAT32):
        raise ValueError(f"{name} must be a positive number up to {MAX_FLOAT32:.2g} "
                         f"(got {value!r}).")


def _whole(name: str, value: int, low: int = 1, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low} (got {value!r}).")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high:,} (got {value:,}).")


@dataclass(frozen=True)
class RelpspConfig:
    """Everything that defines a run; hashable, so pages can cache on it.

    Times are in units of the input window: an input spikes in [0, ``t_max``]. ``theta`` is
    the threshold, ``min_slope`` STDBP's bound on 1 / V'(t_j) (see ``core.relpsp.functional``).
    ``tau_alpha`` is the alpha kernel's time to peak, used by ``psp = "alpha"`` only; by default
    2 * ``t_max``, where alpha-PSP trained best on digits (0.57 test accuracy after 15 epochs,
    against 0.45 at 1 * t_max and 0.19 at 0.5 * t_max after 5).
    """

    dataset: str = "digits"
    arch: str = "fc"
    psp: str = "relpsp"
    hidden: tuple[int, ...] = (128,)
    conv_channels: int = 16
    encoding: str = "latency"
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    theta: float = 5.0
    t_max: float = 5.0
    min_slope: float = 0.3
    tau_alpha: float | None = None
    init_gain: float = 1.0
    bias_spike: bool = True
    silent_penalty: float = 1.0
    max_train: int | None = None
    eval_size: int = 256
    data_path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name, allowed in (
            ("dataset", DATASETS), ("arch", ARCHS), ("psp", PSPS), ("encoding", ENCODINGS)
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"Unknown {name} {getattr(self, name)!r}; choose one of {', '.join(allowed)}."
                )
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for size in self.hidden:
            _whole("Each hidden layer size", size)
        if self.arch == "conv" and dataset_info(self.dataset).kind != "image":
            raise ValueError(
                f"The convolutional network needs images; use --arch fc for {self.dataset}."
            )
        _whole("conv_channels", self.conv_channels)
        _whole("epochs", self.epochs, 1, MAX_EPOCHS)
        _whole("batch_size", self.batch_size)
        _whole("eval_size", self.eval_size)
        _whole("seed", self.seed, 0, MAX_SEED)
        if self.max_train is not None:
            _whole("max_train", self.max_train)
        for name in ("lr", "theta", "t_max", "min_slope", "init_gain"):
            _positive(name, getattr(self, name))
        if self.tau_alpha is not None:
            _positive("tau_alpha", self.tau_alpha)
        if not math.isfinite(self.silent_penalty) or not 0 <= self.silent_penalty <= MAX_FLOAT32:
            raise ValueError(
                f"silent_penalty must be zero or positive (got {self.silent_penalty!r})."
            )

    @property
    def tau(self) -> float:
        """The alpha kernel's time to peak."""
        return 2.0 * self.t_max if self.tau_alpha is None else self.tau_alpha

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        return out


def dataset_defaults(dataset: str) -> dict[str, Any]:
    """The ``RelpspConfig`` values that ``dataset``'s loader sets (``INFO.defaults``)."""
    if dataset not in DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}.")
    return dataset_info(dataset).defaults_for("relpsp")


def default_config(dataset: str, **overrides: Any) -> RelpspConfig:
    """``dataset``'s configuration: the field defaults, then the data set's, then
    ``overrides`` (None values are ignored: flags the user did not give)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return RelpspConfig(dataset=dataset, **{**dataset_defaults(dataset), **given})
