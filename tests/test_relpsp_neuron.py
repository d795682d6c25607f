"""Exact ReL-PSP spike times against a brute-force fine-grid simulation."""

from __future__ import annotations

import numpy as np
import pytest

from core.neurons.relpsp import alpha_kernel, first_spike_time, grid_spike_time, spike_time


def test_worked_example() -> None:
    assert spike_time([1, 2, 3], [0.5, 0.5, 0.5], 1.0) == pytest.approx(2.5)
    assert spike_time([3, 1, 2], [0.5, 0.5, 0.5], 1.0) == pytest.approx(2.5)  # order-free


def test_never_fires_with_negative_net_weight() -> None:
    assert spike_time([1, 2], [0.5, -0.6], 1.0) is None
    assert spike_time([], [], 1.0) is None


def test_matches_fine_grid_on_random_inputs() -> None:
    rng = np.random.default_rng(0)
    fired = 0
    for _ in range(60):
        n = int(rng.integers(1, 8))
        times = rng.uniform(0, 5, n)
        weights = rng.normal(0.3, 0.5, n)
        exact = spike_time(list(times), list(weights), 1.0)
        brute = grid_spike_time(times, weights, 1.0, t_max=60.0, resolution=1e-4)
        if exact is None:
            assert brute is None
        else:
            fired += 1
            assert brute == pytest.approx(exact, abs=1e-4)
    assert fired > 20


def test_vectorised_over_neurons_equals_one_by_one() -> None:
    rng = np.random.default_rng(1)
    times = rng.uniform(0, 4, (6, 9))
    weights = rng.normal(0.2, 0.4, (6, 9))
    batch = first_spike_time(times, weights, 1.0)
    for i in range(6):
        single = spike_time(list(times[i]), list(weights[i]), 1.0)
        assert (np.isinf(batch[i]) and single is None) or batch[i] == pytest.approx(single)


def test_alpha_psp_dead_neuron_while_relpsp_fires_late() -> None:
    times, weights = [1.0, 2.0, 3.0], [0.3, 0.3, 0.3]
    assert alpha_kernel(np.array([1.0]))[0] == pytest.approx(1.0)  # peak 1 at t = tau
    assert grid_spike_time(np.array(times), np.array(weights), 1.0, 50.0, kernel="alpha") is None
    t_rel = spike_time(times, weights, 1.0)
    assert t_rel == pytest.approx((1.0 + 0.3 * 6) / 0.9)


def test_bad_threshold_is_explained() -> None:
    with pytest.raises(ValueError, match="threshold theta"):
        first_spike_time(np.array([1.0]), np.array([1.0]), 0.0)
