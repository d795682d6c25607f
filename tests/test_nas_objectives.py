"""Which hardware models price a NAS trial: the hardware registry's answer (each model's
``check`` on a NAS network), while ``nas --hardware`` keeps its choices ops and yoso."""

from __future__ import annotations

import pytest

from core.hardware import registry
from core.hardware.ops import OpsModel
from core.nas.objectives import (
    HARDWARE,
    NAS_NETWORK,
    PRICING,
    check_objectives,
    refusal,
)

ENERGY = ("accuracy", "energy")


def test_the_registry_says_which_models_price_a_nas_trial():
    assert PRICING == ("ops",)
    assert HARDWARE == ("ops", "yoso")  # the command-line contract
    assert not NAS_NETWORK.fully_connected and NAS_NETWORK.layers[0].spikes is None
    assert refusal("ops") is None and refusal("ann") is None
    assert "fully connected" in refusal("yoso")
    assert "spikes only" in refusal("loihi")


def test_a_model_whose_check_accepts_conv_networks_can_price_trials(monkeypatch):
    class Anything(OpsModel):
        name = "anything"

    monkeypatch.setitem(registry.ENERGY_MODELS, "anything", Anything)
    assert refusal("anything") is None


def test_yoso_is_refused_with_the_mesh_s_own_reason():
    with pytest.raises(ValueError) as info:
        check_objectives(ENERGY, "yoso")
    message = str(info.value)
    assert message.startswith("The YOSO model maps fully connected networks")
    assert message.endswith("--hardware ops.") and "\n" not in message
    check_objectives(ENERGY, "ops")
    with pytest.raises(ValueError, match="choose one of ops, yoso"):
        check_objectives(ENERGY, "loihi")
