"""The search space of the NAS study: conv layers (filters x kernel), neuron and reset.

The study's space ("Performance analysis of NAS algorithms for deep spiking neural networks"):
9 conv layers, each with filters in {16, 32, 64, 128, 256, 512} and kernel in {3, 5, 7};
neuron in {IF, LIF}; reset in {hard, soft}; 4 time steps; a classifier head. The DNN baseline
is the same network with ReLU in place of the spiking neurons, so it has no neuron or reset.
Any trainable model of the neuron registry can be searched or fixed; its NAS label is its
registry name in upper case (``"lif"`` -> ``"LIF"``), as the study wrote IF and LIF.

An architecture is stored in Optuna as categorical parameters named ``neuron``, ``reset``,
``filters_<i>`` and ``kernel_<i>`` (i from 0); ``architecture_from_params`` reads them back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core.checks import check_whole, is_whole
from core.neurons.registry import model_names

MODELS: tuple[str, ...] = ("snn", "dnn")
NEURONS: tuple[str, ...] = tuple(name.upper() for name in model_names(trainable=True))
STUDY_NEURONS: tuple[str, ...] = ("IF", "LIF")  # the published study's searched choices
RESETS: tuple[str, ...] = ("hard", "soft")
STUDY_FILTERS: tuple[int, ...] = (16, 32, 64, 128, 256, 512)
KERNELS: tuple[int, ...] = (3, 5, 7)


@dataclass(frozen=True)
class Architecture:
    """One candidate network: ``layers`` holds (filters, kernel) per conv layer.

    ``neuron`` and ``reset`` are ``None`` for the DNN baseline.
    """

    model: str
    layers: tuple[tuple[int, int], ...]
    neuron: str | None = None
    reset: str | None = None

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"Unknown model {self.model!r}; choose one of {', '.join(MODELS)}.")
        if not self.layers:
            raise ValueError("An architecture needs at least one conv layer.")
        for filters, kernel in self.layers:
            if not is_whole(filters, 1) or not is_whole(kernel, 1) or kernel % 2 == 0:
                raise ValueError(
                    f"Layer ({filters} filters, kernel {kernel}) is invalid: filters must be "
                    "positive and kernels odd."
                )
        if self.model == "snn":
            if self.neuron not in NEURONS:
                raise ValueError(f"An SNN needs a neuron in {NEURONS}, got {self.neuron!r}.")
            if self.reset not in RESETS:
                raise ValueError(f"An SNN needs a reset in {RESETS}, got {self.reset!r}.")
        elif self.neuron is not None or self.reset is not None:
            raise ValueError("The DNN baseline uses ReLU: it takes no neuron and no reset.")

    @property
    def condition(self) -> str:
        """The study's row label without the algorithm, e.g. ``LIF, Soft`` or ``DNN``."""
        if self.model == "dnn":
            return "DNN"
        return f"{self.neuron}, {str(self.reset).capitalize()}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "neuron": self.neuron,
            "reset": self.reset,
            "layers": [list(layer) for layer in self.layers],
        }


@dataclass(frozen=True)
class SearchSpace:
    """The choices of a search; ``neurons``/``resets`` of one entry fix that choice.

    ``pool_after`` lists the layers (from 0) followed by a 2x2 max pooling.
    """

    model: str = "snn"
    num_layers: int = 9
    filters: tuple[int, ...] = STUDY_FILTERS
    kernels: tuple[int, ...] = KERNELS
    neurons: tuple[str, ...] = STUDY_NEURONS
    resets: tuple[str, ...] = RESETS
    pool_after: tuple[int, ...] = (2, 5)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"Unknown model {self.model!r}; choose one of {', '.join(MODELS)}.")
        check_whole("The number of conv layers", self.num_layers, 1, 20)
        if not self.filters or not all(is_whole(f, 1) for f in self.filters):
            raise ValueError("Filter choices must be positive whole numbers.")
        if not self.kernels or any(not is_whole(k, 1) or k % 2 == 0 for k in self.kernels):
            raise ValueError("Kernel choices must be odd positive numbers (same padding).")
        if not self.neurons or any(n not in NEURONS for n in self.neurons):
            raise ValueError(f"Neurons must be chosen from {NEURONS}.")
        if not self.resets or any(r not in RESETS for r in self.resets):
            raise ValueError(f"Resets must be chosen from {RESETS}.")
        if any(not is_whole(i, 0, self.num_layers - 1) for i in self.pool_after):
            raise ValueError("Pooling positions must name existing layers.")

    def choices(self) -> dict[str, tuple[Any, ...]]:
        """Parameter name -> its choices, in a fixed order (the Optuna search space)."""
        out: dict[str, tuple[Any, ...]] = {}
        if self.model == "snn":
            out["neuron"] = self.neurons
            out["reset"] = self.resets
        for i in range(self.num_layers):
            out[f"filters_{i}"] = self.filters
            out[f"kernel_{i}"] = self.kernels
        return out

    def size(self) -> int:
        """The number of distinct architectures in the space."""
        total = 1
        for values in self.choices().values():
            total *= len(values)
        return total

    def restrict(
        self,
        neuron: str | None = None,
        reset: str | None = None,
        neurons: tuple[str, ...] | None = None,
    ) -> SearchSpace:
        """The same space with the neuron and/or reset fixed, or other neurons searched
        (``neuron`` wins over ``neurons``; ignored for the DNN)."""
        if self.model == "dnn":
            return self
        return replace(
            self,
            neurons=(neuron,) if neuron else tuple(neurons or self.neurons),
            resets=(reset,) if reset else self.resets,
        )


def study_space(model: str = "snn") -> SearchSpace:
    """The study's space: 9 layers, filters 16-512, kernels 3/5/7, pooling after 3 and 6."""
    return SearchSpace(model=model)


def small_space(model: str = "snn") -> SearchSpace:
    """The CPU preset's space: 4 layers, filters <= 64, pooling after layers 1 and 3."""
    return SearchSpace(model=model, num_layers=4, filters=(16, 32, 64), pool_after=(0, 2))


def architecture_from_params(params: dict[str, Any], model: str) -> Architecture:
    """Rebuild an architecture from a trial's parameters (see the module docstring)."""
    count = sum(1 for name in params if name.startswith("filters_"))
    try:
        layers = tuple(
            (int(params[f"filters_{i}"]), int(params[f"kernel_{i}"])) for i in range(count)
        )
    except KeyError as exc:
        raise ValueError(f"The trial's parameters lack {exc.args[0]!r}.") from None
    if model == "dnn":
        return Architecture("dnn", layers)
    return Architecture("snn", layers, params.get("neuron"), params.get("reset"))


def params_from_architecture(arch: Architecture) -> dict[str, Any]:
    """The inverse of ``architecture_from_params``."""
    out: dict[str, Any] = {}
    if arch.model == "snn":
        out["neuron"] = arch.neuron
        out["reset"] = arch.reset
    for i, (filters, kernel) in enumerate(arch.layers):
        out[f"filters_{i}"] = filters
        out[f"kernel_{i}"] = kernel
    return out


def neighbours(
    params: dict[str, Any], choices: dict[str, tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """Every candidate that changes exactly one choice of ``params`` (the greedy moves)."""
    out = []
    for name, values in choices.items():
        for value in values:
            if value != params.get(name):
                out.append({**params, name: value})
    return out
