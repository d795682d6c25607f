"""Input generators."""

from __future__ import annotations

import numpy as np
import pytest

from core.stimuli import InputSpec, make_input


def test_step_is_amplitude_at_every_step_from_onset() -> None:
    np.testing.assert_array_equal(make_input(InputSpec("step", 0.7), 4), [0.7] * 4)
    np.testing.assert_array_equal(make_input(InputSpec("step", 1.0, onset=2), 4), [0, 0, 1, 1])


def test_ramp_and_sine() -> None:
    np.testing.assert_allclose(make_input(InputSpec("ramp", 2.0), 5), [0, 0.5, 1.0, 1.5, 2.0])
    sine = make_input(InputSpec("sine", 1.0, period=4, offset=0.5), 4)
    np.testing.assert_allclose(sine, [0.5, 1.5, 0.5, -0.5], atol=1e-12)


def test_poisson_is_seeded_and_has_the_requested_rate() -> None:
    a = make_input(InputSpec("poisson", 0.5, rate=0.2, seed=3), 20000)
    b = make_input(InputSpec("poisson", 0.5, rate=0.2, seed=3), 20000)
    c = make_input(InputSpec("poisson", 0.5, rate=0.2, seed=4), 20000)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert set(np.unique(a)) == {0.0, 0.5}
    assert (a > 0).mean() == pytest.approx(0.2, abs=0.01)


def test_user_spike_times_with_weights() -> None:
    x = make_input(InputSpec("spikes", 2.0, times=(1, 3, 3, 9), weights=(0.5, 0.25, 0.25, 1)), 5)
    np.testing.assert_allclose(x, [0, 1.0, 0, 1.0, 0])  # repeated times add; late ones drop


def test_bad_inputs_are_explained() -> None:
    with pytest.raises(ValueError, match="one weight per spike time"):
        InputSpec("spikes", times=(1, 2), weights=(1.0,))
    with pytest.raises(ValueError, match="probability"):
        InputSpec("poisson", rate=1.5)
    with pytest.raises(ValueError, match="input must be one of"):
        InputSpec("square")
