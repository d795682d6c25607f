"""The hardware registry: every energy model SpikeLab can price a frame on, by name.

Each model lives in its own file as an ``EnergyModel`` subclass that describes itself (name,
label, summary, its ``params`` dataclass, what it maps and reports: see
``core.hardware.base``); ``ENTRIES`` lists them, one line per model. The Hardware page, the
``energy`` command, the demos and the figures take their models, widgets, flags and link fields
from here, so adding a model is one new file plus its line below.
"""

from __future__ import annotations

import importlib
from dataclasses import Field, fields, replace
from typing import Any

from core.hardware.base import EnergyModel
from core.hardware.params import knobs

__all__ = ["ENERGY_MODELS", "ENTRIES", "MODELS", "get_model", "knob_fields", "make_model",
           "make_params", "model_names"]

#: The registry: one "module:attribute" line per model, in the order pages list them (the
#: first that can price a network gives the page's headline figures).
ENTRIES: tuple[str, ...] = (
    "core.hardware.yoso:YosoModel",
    "core.hardware.ops:OpsModel",
    "core.hardware.ops:AnnModel",
    "core.hardware.loihi:LoihiModel",
)


def _load(entry: str) -> type[EnergyModel]:
    module, _, attribute = entry.partition(":")
    return getattr(importlib.import_module(module), attribute)


MODELS: tuple[type[EnergyModel], ...] = tuple(_load(entry) for entry in ENTRIES)
ENERGY_MODELS: dict[str, type[EnergyModel]] = {model.name: model for model in MODELS}


def model_names(baseline: bool | None = None) -> tuple[str, ...]:
    """Registered model names; only the baseline (or only the other) ones when given."""
    return tuple(m.name for m in MODELS if baseline is None or m.baseline == baseline)


def get_model(name: str) -> type[EnergyModel]:
    """The model called ``name``; ``ValueError`` listing the choices otherwise."""
    try:
        return ENERGY_MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown hardware {name!r}; choose one of {', '.join(model_names())}."
        ) from None


def make_params(name: str, **values: Any) -> Any:
    """``get_model(name).params`` built from ``values`` (SI units), ignoring keys it lacks.

    So a caller passes every knob generically: the operation-count model ignores the mesh.
    """
    params = get_model(name).params
    known = {f.name for f in fields(params)}
    return params(**{key: value for key, value in values.items() if key in known})


def make_model(name: str, config: Any = None, **values: Any) -> EnergyModel:
    """The energy model called ``name`` with its parameters: ``config`` (its params dataclass,
    defaults when None) with ``values`` (SI units) replacing fields, e.g.
    ``make_model("yoso", e_ac_j=2e-12, rows=6)``. A value the model has no field for is a
    ``ValueError``."""
    model = get_model(name)
    if config is not None and not isinstance(config, model.params):
        raise ValueError(f"{name} takes a {model.params.__name__}, not a "
                         f"{type(config).__name__}.")
    known = {f.name for f in fields(model.params)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{name} has no parameter {', '.join(unknown)}; it takes "
                         f"{', '.join(sorted(known))}.")
    params = config if config is not None else model.params()
    return model(replace(params, **values) if values else params)  # type: ignore[call-arg]


def knob_fields() -> dict[str, Field]:
    """Every model's knobs by field name, in registry order (the first model declaring a name
    gives its metadata; models sharing a name share its widget, flag and link field)."""
    out: dict[str, Field] = {}
    for model in MODELS:
        for f in knobs(model.params):
            out.setdefault(f.name, f)
    return out
