"""Exact vs forward-Euler integration of the membrane equation."""

from __future__ import annotations

import numpy as np
import pytest

from core.explorer import compare_euler
from core.neurons.params import PhysicalParams
from core.neurons.physical import MembraneODE, decay_factor, euler_error_curve, integrate


def _ode(dt: float, tau: float = 10.0) -> MembraneODE:
    return MembraneODE(PhysicalParams(tau_mem=tau, dt=dt), e_leak=-65.0, resistance=10.0,
                       v_threshold=-50.0)


def test_exact_update_matches_the_analytic_solution() -> None:
    ode = _ode(dt=0.5)
    current = np.full(200, 1.0)  # R*I = 10 mV, stays below threshold
    v = integrate(ode, current, "exact", "none").mem
    t = np.arange(1, 201) * 0.5
    np.testing.assert_allclose(v, -65.0 + 10.0 * (1 - np.exp(-t / 10.0)), atol=1e-10)


def test_euler_converges_as_dt_shrinks_and_diverges_beyond_two_tau() -> None:
    gaps = [euler_error_curve(_ode(dt), 1.0, 100.0, np.array([dt]))[0] for dt in (2, 1, 0.5)]
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[1] / gaps[2] == pytest.approx(2.0, rel=0.1)  # first order in dt
    unstable = integrate(_ode(dt=25.0), np.full(20, 1.0), "euler", "none").mem
    assert np.abs(unstable + 65.0).max() > 1e3
    assert decay_factor(_ode(dt=25.0), "euler") < -1


def test_error_curve_equals_the_simulated_gap() -> None:
    for dt in (0.3, 4.0, 15.0):
        ode = _ode(dt)
        steps = int(100.0 / dt)
        current = np.full(steps, 1.0)
        gap = np.abs(integrate(ode, current, "euler", "none").mem
                     - integrate(ode, current, "exact", "none").mem).max()
        assert euler_error_curve(ode, 1.0, 100.0, np.array([dt]))[0] == pytest.approx(gap)


def test_hard_reset_returns_to_rest_and_both_methods_fire() -> None:
    comparison = compare_euler(_ode(dt=0.1), 2.0, 100.0, "hard")
    assert comparison.exact.spikes.sum() > 0
    assert comparison.exact.spikes.sum() == pytest.approx(comparison.euler.spikes.sum(), abs=1)
    after = np.nonzero(comparison.exact.spikes)[0][0] + 1
    assert comparison.exact.mem[after] < -60.0


def test_threshold_below_rest_is_refused() -> None:
    with pytest.raises(ValueError, match="resting potential"):
        MembraneODE(v_threshold=-70.0, e_leak=-65.0)
