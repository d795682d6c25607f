"""Golden values, snnTorch equality and invariants of the discrete-time neurons."""

from __future__ import annotations

import numpy as np
import pytest

from core.neurons.params import PhysicalParams, check_steps
from core.neurons.simulation import Neuron, fi_curve, run_leaky, simulate
from core.neurons.snntorch_ref import simulate_snntorch
from core.stimuli import InputSpec, make_input

STEP = np.full(6, 0.6)


@pytest.mark.parametrize(
    ("reset", "mem", "spikes"),
    [
        ("soft", [0.6, 0.9, 1.05, 0.125, 0.6625, 0.93125], [0, 0, 1, 0, 0, 0]),
        ("hard", [0.6, 0.9, 1.05, 0.6, 0.9, 1.05], [0, 0, 1, 0, 0, 1]),
        ("none", [0.6, 0.9, 1.05, 1.125, 1.1625, 1.18125], [0, 0, 1, 1, 1, 1]),
    ],
)
def test_lif_golden_trace(reset: str, mem: list[float], spikes: list[int]) -> None:
    result = simulate(Neuron.make("lif", beta=0.5, threshold=1.0, reset=reset), STEP)
    np.testing.assert_allclose(result.mem, mem, atol=1e-12)
    np.testing.assert_array_equal(result.spikes, spikes)


def test_if_ignores_beta_and_integrates() -> None:
    result = simulate(Neuron.make("if", beta=0.1, threshold=1.0, reset="soft"), np.full(6, 0.7))
    np.testing.assert_allclose(result.mem, [0.7, 1.4, 1.1, 0.8, 1.5, 1.2], atol=1e-12)
    np.testing.assert_array_equal(result.spikes, [0, 1, 1, 0, 1, 1])


@pytest.mark.parametrize(
    ("reset", "mem", "spikes"),
    [
        ("soft", [0.0, 1.0, 0.6, 0.15, 0.2], [0, 1, 1, 0, 0]),
        ("hard", [0.0, 1.0, 0.0, 0.25, 0.25], [0, 1, 0, 0, 0]),
    ],
)
def test_synaptic_golden_trace(reset: str, mem: list[float], spikes: list[int]) -> None:
    pulse = np.array([1.0, 0, 0, 0, 0])
    params = Neuron.make("synaptic", beta=0.5, alpha=0.5, threshold=0.4, reset=reset)
    result = simulate(params, pulse)
    np.testing.assert_allclose(result.mem, mem, atol=1e-12)
    np.testing.assert_allclose(result.syn, [1.0, 0.5, 0.25, 0.125, 0.0625], atol=1e-12)
    np.testing.assert_array_equal(result.spikes, spikes)


@pytest.mark.parametrize("model", ["lif", "if", "synaptic"])
@pytest.mark.parametrize("reset", ["hard", "soft", "none"])
def test_equals_snntorch(model: str, reset: str) -> None:
    x = np.random.default_rng(1).random((150, 4)) * 0.6
    params = Neuron.make(model, beta=0.85, alpha=0.7, threshold=1.0, reset=reset)
    ours, theirs = simulate(params, x), simulate_snntorch(params, x)
    assert ours.spikes.sum() > 10  # the comparison covers firing, not only sub-threshold decay
    np.testing.assert_array_equal(ours.spikes, theirs.spikes)
    np.testing.assert_allclose(ours.mem, theirs.mem, atol=1e-5)
    if model == "synaptic":
        np.testing.assert_allclose(ours.syn, theirs.syn, atol=1e-5)


def test_if_soft_reset_conserves_charge() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        threshold = rng.uniform(0.3, 2.0)
        x = np.concatenate([rng.uniform(0, 1.5, 200), np.zeros(400)])  # time to discharge
        result = simulate(Neuron.make("if", threshold=threshold, reset="soft"), x)
        assert result.spikes.sum() == np.floor(x.sum() / threshold)


def test_batch_equals_one_by_one() -> None:
    x = np.random.default_rng(3).random((80, 5))
    params = Neuron.make("synaptic", reset="soft")
    batch = simulate(params, x)
    for j in range(5):
        np.testing.assert_allclose(simulate(params, x[:, j]).mem, batch.mem[:, j])


def test_fi_curve_matches_separate_runs_and_rises() -> None:
    params = Neuron.make("lif", beta=0.9, reset="hard")
    unit = make_input(InputSpec("step", amplitude=1.0), 300)
    amps = np.linspace(0, 1, 11)
    rates = fi_curve(params, unit, amps)
    expected = [simulate(params, a * unit).spikes.mean() for a in amps]
    np.testing.assert_allclose(rates, expected)
    assert rates[0] == 0 and rates[-1] > 0
    assert np.all(np.diff(rates) >= 0)
    # Rheobase of a LIF with step input: steady state x / (1 - beta) must exceed theta.
    assert rates[amps < 0.1 - 1e-9].max() == 0 and rates[amps > 0.1 + 1e-9].min() > 0


def test_physical_units_give_exponential_decays() -> None:
    phys = PhysicalParams(tau_mem=10.0, tau_syn=5.0, dt=1.0)
    assert phys.beta == pytest.approx(np.exp(-0.1))
    assert phys.alpha == pytest.approx(np.exp(-0.2))
    decay = run_leaky(np.r_[1.0, np.zeros(9)], phys.beta, 1e9, "none").mem
    np.testing.assert_allclose(decay, np.exp(-np.arange(10) * 0.1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.0}, "threshold must be greater than 0"),
        ({"threshold": -1.0}, "threshold must be greater than 0"),
        ({"beta": 1.5}, "beta"),
        ({"alpha": -0.1}, "alpha"),
        ({"reset": "sideways"}, "reset must be one of"),
        ({"model": "hh"}, "neuron must be one of"),
    ],
)
def test_impossible_parameters_are_explained(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Neuron.make(kwargs.pop("model", "synaptic"), **kwargs)


def test_impossible_time_constants_and_steps() -> None:
    with pytest.raises(ValueError, match="tau_mem"):
        PhysicalParams(tau_mem=-1.0)
    with pytest.raises(ValueError, match="time step dt"):
        PhysicalParams(dt=0.0)
    with pytest.raises(ValueError, match="time steps"):
        check_steps(0)
