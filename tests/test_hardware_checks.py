"""The hardware configs and workloads check their values through core.checks: one sentence
naming the field, whole numbers kept as ints."""

from __future__ import annotations

import math

import pytest

from core.hardware import YosoConfig, fc_workload
from core.hardware.workload import LayerLoad, Workload


def test_a_whole_float_is_a_whole_number_and_kept_as_an_int():
    config = YosoConfig(rows=2.0, cols=3)
    assert config.rows == 2 and isinstance(config.rows, int) and config.pes == 6
    layer = LayerLoad("input", 4.0, 1.0, 2, 8)
    assert layer.neurons == 4 and isinstance(layer.neurons, int)
    work = Workload((layer, LayerLoad("output", 2, 0.0, 0, 0)), time_steps=2.0)
    assert work.time_steps == 2 and isinstance(work.time_steps, int)


@pytest.mark.parametrize(("values", "message"), [
    ({"rows": 2.5}, "rows must be a whole number from 1 to 1,024 (got 2.5)."),
    ({"lanes": True}, "lanes must be a whole number from 1 to 1,000,000 (got True)."),
    ({"clock_hz": 0.0}, "clock_hz must be greater than 0 (got 0.0)."),
    ({"e_add_j": math.nan}, "e_add_j must be 0 or more (got nan)."),
    ({"e_sram_read_bit_j": -1.0}, "e_sram_read_bit_j, when given, must be 0 or more (got -1.0)."),
])
def test_mesh_values_are_refused_in_one_sentence(values, message):
    with pytest.raises(ValueError) as info:
        YosoConfig(**values)
    assert str(info.value) == message


@pytest.mark.parametrize(("make", "message"), [
    (lambda: LayerLoad("h", 0, 1.0, 1, 1), "Layer 'h': neurons must be a whole number of at "
                                           "least 1 (got 0)."),
    (lambda: LayerLoad("h", 2, math.inf, 1, 1), "Layer 'h': spikes per frame must be 0 or more "
                                                "(got inf)."),
    (lambda: LayerLoad("h", 2, 1.0, math.nan, 1), "Layer 'h': fan_out must be 0 or more "
                                                  "(got nan)."),
    (lambda: LayerLoad("h", 2, 1.0, 1, -3), "Layer 'h': ann_macs must be 0 or more (got -3)."),
    (lambda: fc_workload((4, 2), (1, 1), time_steps=0), "Time steps must be a whole number of "
                                                        "at least 1 (got 0)."),
    (lambda: fc_workload((4, 2), (1, 1)).scaled(-1.0), "A spike scale factor must be 0 or more "
                                                       "(got -1.0)."),
])
def test_workload_values_are_refused_in_one_sentence(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message
