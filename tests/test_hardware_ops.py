"""Operation counts (NeuroBench-style), the ops/ANN models, workloads, calibration and sweeps;
one contract run against every energy model."""

from __future__ import annotations

import pytest

from core.hardware import (
    ENERGY_MODELS,
    OpsConfig,
    YosoConfig,
    conv_workload,
    fc_workload,
    make_model,
    parse_arch,
)
from core.hardware.analysis import calibrate, sweep
from core.hardware.constants import RELPSP_YOSO_MNIST, sram_read_energy_per_bit
from core.hardware.yoso import YosoModel

PJ = 1e-12
NET = fc_workload((784, 800, 10), (100, 80, 10))


@pytest.fixture(params=sorted(ENERGY_MODELS))
def model_name(request: pytest.FixtureRequest) -> str:
    return request.param


def test_every_model_keeps_the_report_contract(model_name: str) -> None:
    model = make_model(model_name)
    report = model.estimate(NET)
    out = report.to_dict()
    for key in ("energy_per_frame_j", "latency_s", "synaptic_ops", "ann_energy_j", "breakdown"):
        assert key in out
    assert report.energy_per_frame_j == pytest.approx(sum(report.breakdown.values()))
    assert report.energy_per_frame_j > 0
    assert report.ann_energy_j == pytest.approx((784 * 800 + 800 * 10) * 4.6 * PJ)
    assert [layer.name for layer in report.layers] == ["input", "hidden 1", "output"]
    silent = model.estimate(fc_workload((784, 800, 10), (0, 0, 0)))
    assert silent.energy_per_frame_j <= report.energy_per_frame_j
    with pytest.raises(ValueError):
        make_model("nope")


def test_ops_counts_by_hand() -> None:
    report = make_model("ops").estimate(NET)
    assert report.synaptic_ops == 100 * 800 + 80 * 10
    assert report.energy_per_frame_j == pytest.approx(80800 * 0.9 * PJ)
    assert report.dense_macs == 784 * 800 + 800 * 10
    assert report.activation_sparsity == pytest.approx(1 - 90 / 810)  # input excluded
    assert report.layers[0].sparsity == pytest.approx(1 - 100 / 784)
    assert report.ann_ratio == pytest.approx((635200 * 4.6) / (80800 * 0.9))
    custom = make_model("ops", OpsConfig(e_ac_j=2 * PJ, e_mac_j=10 * PJ)).estimate(NET)
    assert custom.energy_per_frame_j == pytest.approx(80800 * 2 * PJ)
    assert custom.ann_energy_j == pytest.approx(635200 * 10 * PJ)


def test_time_steps_and_recurrence_in_the_counts() -> None:
    w = fc_workload((10, 20, 5), (30, 40, 0), time_steps=4, recurrent=True)
    report = make_model("ops").estimate(w)
    assert w.layers[1].fan_out == 5 + 20
    assert report.synaptic_ops == 30 * 20 + 40 * 25
    assert report.layers[1].ops_per_step == pytest.approx(40 * 25 / 4)
    assert report.layers[1].sparsity == pytest.approx(1 - 40 / 80)
    with pytest.raises(ValueError, match="at most once per step"):
        fc_workload((10, 20, 5), (41, 0, 0), time_steps=4)


def test_conv_workload_by_hand() -> None:
    w = conv_workload((1, 8, 8), [(4, 3), (8, 3)], (0,), 10, (20, 10), time_steps=4)
    inp, c1, c2, out = w.layers
    assert inp.spikes is None and inp.snn_macs == 8 * 8 * 4 * 1 * 9
    assert (c1.neurons, c1.fan_out, c1.ann_macs) == (4 * 64, 8 * 9, 4 * 4 * 8 * 4 * 9)
    assert (c2.neurons, c2.fan_out, c2.ann_macs) == (8 * 16, 10, 8 * 4 * 10)
    assert out.fan_out == 0
    report = make_model("ops").estimate(w)
    assert report.synaptic_ops == 20 * 72 + 10 * 10
    assert report.effective_macs == 2304
    assert not w.fully_connected
    with pytest.raises(ValueError, match="fully connected"):
        YosoModel().estimate(w)


@pytest.mark.parametrize("text", ["784", "784-x-10", "0-10", ""])
def test_parse_arch_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="784-800-10"):
        parse_arch(text)


def test_parse_arch_and_spike_count_mismatch() -> None:
    assert parse_arch("784-800-10") == (784, 800, 10)
    with pytest.raises(ValueError, match="3 layers .* but 2 counts"):
        fc_workload((784, 800, 10), (1, 2))


def test_sram_energy_follows_horowitz_points() -> None:
    assert sram_read_energy_per_bit(8 * 1024) == pytest.approx(10 * PJ / 64)
    assert sram_read_energy_per_bit(32 * 1024) == pytest.approx(20 * PJ / 64)
    assert 10 * PJ / 64 < sram_read_energy_per_bit(16 * 1024) < 20 * PJ / 64
    assert sram_read_energy_per_bit(4 * 1024**2) == pytest.approx(100 * PJ / 64)


def test_calibration_is_computed_from_the_model() -> None:
    assert RELPSP_YOSO_MNIST.energy_per_frame_j == pytest.approx(35.83e-6, rel=1e-3)
    cal = calibrate(make_model("yoso"))
    assert cal.spikes == (784.0, 800.0, 10.0)
    assert cal.energy_ratio == pytest.approx(cal.report.energy_per_frame_j / 35.83021e-6)
    assert cal.latency_ratio == pytest.approx(cal.report.latency_s / 47.71e-3)
    assert cal.power_ratio == pytest.approx(cal.report.power_w / 0.751e-3)
    leaky = calibrate(YosoModel(YosoConfig(leakage_w_per_pe=1e-3)))
    assert leaky.energy_ratio > cal.energy_ratio  # a parameter moves the ratio: not a constant
    fewer = calibrate(make_model("yoso"), spikes=(150, 400, 10))
    assert fewer.report.energy_per_frame_j < cal.report.energy_per_frame_j
    assert calibrate(make_model("ops")).latency_ratio is None


def test_sweep_energy_rises_with_spike_rate() -> None:
    points = sweep(make_model("yoso"), NET, [0.0, 0.5, 1.0, 2.0, 20.0])
    energies = [p.energy_j for p in points]
    assert energies == sorted(energies) and energies[0] == 0.0
    assert points[2].energy_j == pytest.approx(make_model("yoso").estimate(NET).energy_per_frame_j)
    assert points[-1].rate == pytest.approx(1.0)  # capped at one spike per neuron
    assert all(p.ann_energy_j == points[0].ann_energy_j for p in points)
