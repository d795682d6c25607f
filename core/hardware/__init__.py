"""Neuromorphic hardware: the YOSO mesh accelerator and operation-count energy estimates.

``make_model(name, config)`` builds one of ``ENERGY_MODELS``; every model takes a ``Workload``
(layers, spikes per frame) and returns an ``EnergyReport``.
"""

from __future__ import annotations

from core.hardware.base import EnergyModel, EnergyReport, LayerOps
from core.hardware.mesh import YosoConfig
from core.hardware.ops import AnnModel, OpsConfig, OpsModel
from core.hardware.workload import LayerLoad, Workload, conv_workload, fc_workload, parse_arch
from core.hardware.yoso import YosoModel

ENERGY_MODELS: dict[str, type[EnergyModel]] = {
    "yoso": YosoModel,
    "ops": OpsModel,
    "ann": AnnModel,
}


def make_model(name: str, config: YosoConfig | OpsConfig | None = None) -> EnergyModel:
    """The energy model called ``name`` with its hardware parameters (defaults when None)."""
    if name not in ENERGY_MODELS:
        raise ValueError(f"Unknown hardware {name!r}; choose one of {', '.join(ENERGY_MODELS)}.")
    return ENERGY_MODELS[name](config)  # type: ignore[arg-type]


__all__ = [
    "ENERGY_MODELS", "AnnModel", "EnergyModel", "EnergyReport", "LayerLoad", "LayerOps",
    "OpsConfig", "OpsModel", "Workload", "YosoConfig", "YosoModel", "conv_workload",
    "fc_workload", "make_model", "parse_arch",
]
