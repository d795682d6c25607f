"""Neuromorphic hardware: the YOSO mesh accelerator and operation-count energy estimates.

``make_model(name, config, **values)`` builds one of ``ENERGY_MODELS`` (the registry,
``core.hardware.registry``: one file and one line per model); every model takes a
``Workload`` (layers, spikes per frame) and returns an ``EnergyReport``.
"""

from __future__ import annotations

from core.hardware.base import EnergyModel, EnergyReport, LayerOps
from core.hardware.mesh import YosoConfig
from core.hardware.ops import AnnModel, OpsConfig, OpsModel
from core.hardware.registry import ENERGY_MODELS, get_model, make_model, make_params
from core.hardware.workload import LayerLoad, Workload, conv_workload, fc_workload, parse_arch
from core.hardware.yoso import YosoModel

__all__ = [
    "ENERGY_MODELS", "AnnModel", "EnergyModel", "EnergyReport", "LayerLoad", "LayerOps",
    "OpsConfig", "OpsModel", "Workload", "YosoConfig", "YosoModel", "conv_workload",
    "fc_workload", "get_model", "make_model", "make_params", "parse_arch",
]
