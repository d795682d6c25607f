"""The neuron registry: every neuron model SpikeLab can simulate and train, by name.

Each model lives in its own file as a ``NeuronModel`` (see ``core.neurons.base``); ``ENTRIES``
lists them, one line per model. Pages, command-line choices, the time loop and the trainers
take their neurons from here, so adding a model is one new file plus its line below.
"""

from __future__ import annotations

import importlib
from dataclasses import fields
from typing import Any

from core.neurons.base import NeuronModel

__all__ = ["ENTRIES", "MODELS", "NeuronModel", "get_model", "make_params", "model_names"]

#: The registry: one "module:attribute" line per model, in the order pages list them.
ENTRIES: tuple[str, ...] = (
    "core.neurons.lif:IF_MODEL",
    "core.neurons.lif:LIF_MODEL",
    "core.neurons.synaptic:SYNAPTIC_MODEL",
    "core.neurons.alif:ALIF_MODEL",
)


def _load(entry: str) -> NeuronModel:
    module, _, attribute = entry.partition(":")
    return getattr(importlib.import_module(module), attribute)


MODELS: tuple[NeuronModel, ...] = tuple(_load(entry) for entry in ENTRIES)
_BY_NAME: dict[str, NeuronModel] = {model.name: model for model in MODELS}


def model_names(trainable: bool | None = None) -> tuple[str, ...]:
    """Registered model names; only the (non-)trainable ones when ``trainable`` is given."""
    return tuple(m.name for m in MODELS if trainable is None or m.trainable == trainable)


def get_model(name: str) -> NeuronModel:
    """The model called ``name``; ``ValueError`` listing the choices otherwise."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"The neuron must be one of {', '.join(model_names())} (got {name!r})."
        ) from None


def make_params(name: str, **values: Any) -> Any:
    """``get_model(name).params`` built from ``values``, ignoring keys this model lacks.

    So a caller passes beta/alpha/threshold/reset generically: IF ignores beta (it never
    leaks), LIF ignores alpha.
    """
    params = get_model(name).params
    known = {f.name for f in fields(params)}
    return params(**{key: value for key, value in values.items() if key in known})
